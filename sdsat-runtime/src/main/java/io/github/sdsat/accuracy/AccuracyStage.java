package io.github.sdsat.accuracy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * HumanEval functional correctness of the SDSAT model (plain decoding and every greedy SDSAT decoder) and of an
 * optional base model: completions of the problems' prompts, cut at the stop sequences ({@link Completions}), run
 * with the problems' tests in the {@link PythonSandbox}; pass@1 (and pass@k over n samples) per model and decoder;
 * the paired differences with confidence intervals; and the gate ({@link AccuracyGate}).
 *
 * <p>Build it with {@link #prepare} before any model loads: that checks the parameters and finds Python, so a
 * machine without it fails before the first generation. Programs run in the sandbox while the model generates the
 * next completions.
 */
public final class AccuracyStage {
    /** Label of the run's (SDSAT) model in the accuracy records. */
    public static final String SDSAT_MODEL = "sdsat";
    /** Label of the base model. */
    public static final String BASE_MODEL = "base";
    /** pass@k values reported, where n allows. */
    static final int[] REPORTED_K = {1, 10, 100};
    /** One row of completions: a decoder at one k, temperature and sampling rule, with n samples per problem. */
    record Row(String decoder, int k, double temperature, SamplingMode sampling, int samples) {
        boolean isGreedy() {
            return temperature == 0.0;
        }
    }

    /**
     * What the stage measured.
     *
     * @param records one per model and row, SDSAT model first
     * @param gate the verdict with the paired comparisons and the sandbox's description
     */
    public record Result(List<AccuracyRecord> records, AccuracyGate gate) {}

    private final AccuracyConfig config;
    private final PythonSandbox sandbox;
    private final List<HumanEval.Problem> problems;
    private final List<Row> sdsatRows;
    private final List<Row> baseRows;
    private final long seed;

    AccuracyStage(
            AccuracyConfig config,
            PythonSandbox sandbox,
            List<HumanEval.Problem> problems,
            List<Row> sdsatRows,
            List<Row> baseRows,
            long seed) {
        this.config = config;
        this.sandbox = sandbox;
        this.problems = problems;
        this.sdsatRows = sdsatRows;
        this.baseRows = baseRows;
        this.seed = seed;
    }

    /**
     * Checks the parameters and finds Python, before any model loads.
     *
     * @param greedyDecoders the SDSAT decoders whose greedy completions are checked (besides {@code ar})
     * @param k SAT tokens per draft of those decoders
     * @param samplingDecoders SDSAT decoders of the sampling rows (besides {@code ar}); used when
     *     {@code config.samples() > 0}
     * @param samplingMode their acceptance rule
     * @param samplingK their k
     * @param seed base seed of the sampling rows
     * @throws SdsatException listing every invalid parameter, or naming the missing interpreter
     */
    public static AccuracyStage prepare(
            AccuracyConfig config,
            List<String> greedyDecoders,
            int k,
            List<String> samplingDecoders,
            SamplingMode samplingMode,
            int samplingK,
            long seed) {
        List<String> invalid = new ArrayList<>(config.problems());
        if (!greedyDecoders.isEmpty() && k < 1) {
            invalid.add("the greedy SDSAT decoders " + greedyDecoders + " need k >= 1 (sdsat.kList)");
        }
        if (!invalid.isEmpty()) {
            throw new SdsatException("Invalid accuracy stage parameters:\n  - " + String.join("\n  - ", invalid));
        }
        PythonSandbox sandbox = PythonSandbox.detect(config.python(), SandboxLimits.withTimeout(config.timeout()));
        List<HumanEval.Problem> all = HumanEval.problems();
        int count = (int) Math.max(1, Math.min(all.size(), Math.round(config.dataLimit() * all.size())));
        List<Row> sdsat = new ArrayList<>();
        List<Row> base = new ArrayList<>();
        sdsat.add(new Row(AutoregressiveDecoder.NAME, 0, 0.0, null, 1));
        base.add(new Row(AutoregressiveDecoder.NAME, 0, 0.0, null, 1));
        for (String decoder : greedyDecoders) {
            sdsat.add(new Row(decoder, k, 0.0, null, 1));
        }
        if (config.samples() > 0) {
            double t = config.samplingTemperature();
            Row ar = new Row(AutoregressiveDecoder.NAME, 0, t, SamplingMode.LOSSLESS, config.samples());
            sdsat.add(ar);
            base.add(ar);
            for (String decoder : samplingDecoders) {
                sdsat.add(new Row(decoder, samplingK, t, samplingMode, config.samples()));
            }
        }
        return new AccuracyStage(
                config,
                sandbox,
                List.copyOf(all.subList(0, count)),
                List.copyOf(sdsat),
                config.baseModel() == null ? List.of() : List.copyOf(base),
                seed);
    }

    /** The sandbox the programs run in (for the report: whether the network was isolated). */
    public PythonSandbox sandbox() {
        return sandbox;
    }

    /** Problems the stage runs. */
    public int problemCount() {
        return problems.size();
    }

    /**
     * Generates and checks the completions of the SDSAT model (already loaded by the caller), then of the base
     * model (loaded here on the same device, closed afterwards), and evaluates the gate.
     */
    public Result run(LoadedModel sdsatModel, Consumer<String> log) {
        ExecutorService pool = Executors.newFixedThreadPool(config.parallelism(), runnable -> {
            Thread thread = new Thread(runnable, "sdsat-accuracy-sandbox");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<AccuracyVerdict.RowOutcome> outcomes =
                    new ArrayList<>(measure(SDSAT_MODEL, sdsatModel, sdsatRows, pool, log));
            if (config.baseModel() != null) {
                DeviceChoice choice = sdsatModel.choice();
                log.accept("Accuracy: loading the base model " + config.baseModel());
                try (LoadedModel base = LoadedModel.open(config.baseModel(), choice, null)) {
                    outcomes.addAll(measure(BASE_MODEL, base, baseRows, pool, log));
                }
            }
            List<AccuracyRecord> records =
                    outcomes.stream().map(AccuracyVerdict.RowOutcome::record).toList();
            return new Result(records, gate(outcomes));
        } finally {
            pool.shutdownNow();
        }
    }

    /** A completion on its way through the sandbox. */
    private record Pending(String completion, Future<PythonSandbox.Execution> execution) {}

    private List<AccuracyVerdict.RowOutcome> measure(
            String label, LoadedModel loaded, List<Row> rows, ExecutorService pool, Consumer<String> log) {
        PromptEncoder encoder =
                new PromptEncoder(loaded.tokenizer(), loaded.model().config().eosTokenIds());
        Map<String, Decoder> decoders = new LinkedHashMap<>();
        for (Row row : rows) {
            if (!decoders.containsKey(row.decoder())) {
                try {
                    decoders.put(row.decoder(), Decoders.create(row.decoder(), loaded.model(), loaded.satToken()));
                } catch (IllegalArgumentException e) {
                    throw new SdsatException(
                            "Accuracy stage: cannot run decoder " + row.decoder() + " on " + loaded.folder() + ": "
                                    + e.getMessage(),
                            e);
                }
            }
        }
        // Every program of the model is submitted as soon as its completion exists; the sandbox runs them meanwhile.
        List<List<List<Pending>>> running = new ArrayList<>();
        for (Row row : rows) {
            running.add(new ArrayList<>());
        }
        long start = System.nanoTime();
        for (int p = 0; p < problems.size(); p++) {
            HumanEval.Problem problem = problems.get(p);
            Task task = Task.completion(problem.taskId(), HumanEval.COMPLETION_DATASET, problem.prompt());
            long[] prompt = encoder.encode(task);
            long[] stops = encoder.stopTokens(task);
            for (int r = 0; r < rows.size(); r++) {
                Row row = rows.get(r);
                Decoder decoder = decoders.get(row.decoder());
                List<Pending> samples = new ArrayList<>();
                for (int s = 0; s < row.samples(); s++) {
                    String completion = complete(loaded, decoder, row, prompt, stops, sampleSeed(problem, s));
                    String program = Completions.program(problem, completion);
                    samples.add(new Pending(completion, pool.submit(() -> sandbox.run(program))));
                }
                running.get(r).add(samples);
            }
            if ((p + 1) % 10 == 0 || p + 1 == problems.size()) {
                log.accept(String.format(
                        Locale.ROOT,
                        "Accuracy %s: %d/%d problems generated, %.0f s",
                        label,
                        p + 1,
                        problems.size(),
                        (System.nanoTime() - start) / 1e9));
            }
        }
        List<AccuracyVerdict.RowOutcome> outcomes = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            outcomes.add(outcome(label, loaded, rows.get(r), running.get(r)));
        }
        return outcomes;
    }

    /** The completion text: the generated ids decoded after the prompt, generation bounded by the context. */
    private String complete(
            LoadedModel loaded, Decoder decoder, Row row, long[] prompt, long[] stops, long sampleSeed) {
        int context = loaded.model().config().maxPositions();
        GenerationConfig generation = generation(row, config.maxNewTokens(), sampleSeed, stops);
        int limit = config.maxNewTokens();
        int needed = decoder.cacheSlots(prompt.length, generation);
        if (needed > context) {
            // Fewer new tokens where a long prompt leaves less room; a prompt that fills the context gets none.
            limit -= needed - context;
            if (limit < 1) {
                return "";
            }
            generation = generation(row, limit, sampleSeed, stops);
        }
        decoder.validate(generation);
        GenerationResult result = decoder.generate(prompt, generation);
        return Completions.textAfterPrompt(loaded.tokenizer(), prompt, result.outputIds());
    }

    private static GenerationConfig generation(Row row, int maxNewTokens, long seed, long[] stops) {
        GenerationConfig.Builder builder = GenerationConfig.builder()
                .maxNewTokens(maxNewTokens)
                .temperature(row.temperature())
                .seed(seed)
                .stopTokenIds(stops);
        if (row.k() > 0) {
            builder.k(row.k());
        }
        if (row.sampling() != null) {
            builder.sampling(row.sampling());
        }
        return builder.build();
    }

    /** A seed per problem and sample, the same for every model and decoder, so sampled rows are paired too. */
    private long sampleSeed(HumanEval.Problem problem, int sample) {
        return new SplittableRandom(seed ^ (31L * problem.taskId().hashCode() + sample)).nextLong();
    }

    private AccuracyVerdict.RowOutcome outcome(String label, LoadedModel loaded, Row row, List<List<Pending>> running) {
        int[] passes = new int[problems.size()];
        List<String> greedyCompletions = row.isGreedy() ? new ArrayList<>() : null;
        List<String> passedTasks = new ArrayList<>();
        int passed = 0;
        for (int p = 0; p < problems.size(); p++) {
            for (Pending sample : running.get(p)) {
                if (await(sample.execution()).passed()) {
                    passes[p]++;
                }
                if (greedyCompletions != null) {
                    greedyCompletions.add(sample.completion());
                }
            }
            passed += passes[p];
            if (passes[p] > 0) {
                passedTasks.add(problems.get(p).taskId());
            }
        }
        Map<Integer, Double> passAtK = new LinkedHashMap<>();
        for (int k : REPORTED_K) {
            if (k <= row.samples()) {
                passAtK.put(k, PassAtK.mean(row.samples(), passes, k));
            }
        }
        AccuracyRecord record = new AccuracyRecord(
                label,
                loaded.folder().toString(),
                row.decoder(),
                row.k(),
                row.temperature(),
                row.isGreedy() || row.decoder().equals(AutoregressiveDecoder.NAME)
                        ? null
                        : row.sampling().id(),
                row.samples(),
                problems.size(),
                passed,
                passAtK.get(1),
                passAtK,
                passedTasks);
        return new AccuracyVerdict.RowOutcome(record, passes, greedyCompletions);
    }

    private static PythonSandbox.Execution await(Future<PythonSandbox.Execution> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while the accuracy sandbox ran", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new SdsatException("The accuracy sandbox failed: " + cause, cause);
        }
    }

    /** The comparisons and the verdict of these outcomes ({@link AccuracyVerdict#of}). */
    AccuracyGate gate(List<AccuracyVerdict.RowOutcome> outcomes) {
        return AccuracyVerdict.of(config.margin(), problems, sandbox, outcomes);
    }
}
