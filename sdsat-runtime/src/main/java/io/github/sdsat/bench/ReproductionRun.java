package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.accuracy.AccuracyConfig;
import io.github.sdsat.accuracy.AccuracyStage;
import io.github.sdsat.dataset.Datasets;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.report.ShardFolders;
import io.github.sdsat.results.Aggregator;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.Shard;
import io.github.sdsat.train.DraftingEvaluation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's speed protocol (docs/DESIGN.md §6), behind {@code mvn sdsat:reproduce}.
 *
 * <p>Per prompt, in one process and one after the other: the autoregressive baseline, then every method
 * configuration (decoder, k, temperature, sampling rule) on the same prompt, so that slow drift of the machine
 * affects baseline and methods alike. The baseline decides the length: each method is given
 * {@code maxNewTokens} = the baseline's number of new tokens and the same stop tokens, so both generate the same
 * number of tokens, as in the paper (greedy methods then produce the baseline's ids exactly, which is checked id
 * by id). Before measuring, {@code warmup} prompts run through every configuration (results discarded) so that
 * one-time costs (native library loading, allocator growth, JIT) do not land on the first measurements.
 *
 * <p>Everything is validated before the first generation ({@link #validate}, then decoder limits are asked
 * from the decoders themselves after the model loads); results go to {@code <outputDirectory>/<runFolder>/} via
 * {@link ResultFiles}, and {@code latest} is pointed at an unsharded run.
 */
public final class ReproductionRun {
    /**
     * Greedy decoders of the default run (comma-separated: also the Mojo's default value). {@code lookup} (prompt
     * lookup, no draft pass) is the yardstick for SDSAT's drafts: its rows cost one pass per loop.
     */
    public static final String DEFAULT_DECODER = "sdsat,sdsat-single-pass,lookup";
    /** The paper's decoder for nucleus sampling, used for sampling rows when this build has it. */
    public static final String TREE_DECODER = "sdsat-tree";

    /** Receives progress while a run goes on (the Maven goal logs it). Called on the running thread. */
    public interface Listener {
        /** A phase message (loading, warm-up, writing). */
        default void info(String message) {
        }

        /** A prompt finished all its configurations. */
        default void progress(Progress progress) {
        }
    }

    /**
     * Where a run stands after a prompt.
     *
     * @param promptsDone prompts finished, over all datasets
     * @param promptsTotal prompts of the run (this shard)
     * @param dataset dataset of the prompt just finished
     * @param taskId its id
     * @param elapsedSeconds measured time so far (warm-up excluded)
     * @param etaSeconds estimated time left: elapsed time per unit of work done times the work left, where a
     *     prompt's work is its configuration count times its dataset's token limit
     * @param baselineMs the baseline's greedy time on this prompt (or the first baseline measured), ms
     * @param bestSpeedup the largest baseline time / method time on this prompt, null when only the baseline ran
     */
    public record Progress(int promptsDone, int promptsTotal, String dataset, String taskId, double elapsedSeconds,
            double etaSeconds, double baselineMs, Double bestSpeedup) {
        /** One log line, e.g. {@code [12/164] humaneval HumanEval/11 ar 812 ms, best 1.42x | 1m10s, ETA 14m02s}. */
        public String describe() {
            return String.format(Locale.ROOT, "[%d/%d] %s %s: ar %.0f ms%s | elapsed %s, ETA %s", promptsDone,
                    promptsTotal, dataset, taskId, baselineMs,
                    bestSpeedup == null ? "" : String.format(Locale.ROOT, ", best speedup %.2fx", bestSpeedup),
                    duration(elapsedSeconds), duration(etaSeconds));
        }
    }

    /**
     * What a run produced.
     *
     * @param runDir the run's folder
     * @param indexHtml its {@code index.html}
     * @param results everything written to {@code results.json}
     */
    public record Outcome(Path runDir, Path indexHtml, RunResults results) {
        public List<RowSummary> rows() {
            return results.rows();
        }
    }

    /** One measured configuration other than the greedy baseline. */
    record Method(String decoder, int k, double temperature, SamplingMode sampling) {
        boolean isGreedy() {
            return temperature == 0.0;
        }
    }

    private final ReproductionConfig config;
    private final AccuracyConfig accuracy;
    private final Listener listener;

    private ReproductionRun(ReproductionConfig config, AccuracyConfig accuracy, Listener listener) {
        this.config = config;
        this.accuracy = accuracy;
        this.listener = listener == null ? new Listener() { } : listener;
    }

    /** Sampling decoders this build provides (for the default of {@code samplingDecoders}). */
    public static List<String> availableSamplingDecoders() {
        return Decoders.names().contains(TREE_DECODER) ? List.of(TREE_DECODER) : List.of();
    }

    /** Validates, runs and writes a reproduction; see the class comment. */
    public static Outcome run(ReproductionConfig config, Listener listener) {
        return run(config, null, listener);
    }

    /**
     * {@link #run(ReproductionConfig, Listener)}, then, when {@code accuracy} is given, the HumanEval accuracy stage
     * ({@link AccuracyStage}) on the loaded model: its rows and gate go into {@code results.json} and the report.
     * Python is looked for before the model loads. The caller fails the build on a failed gate
     * ({@link AccuracyStage#requirePassed}) after the report is written.
     */
    public static Outcome run(ReproductionConfig config, AccuracyConfig accuracy, Listener listener) {
        return new ReproductionRun(config, accuracy, listener).execute();
    }

    /**
     * Runs one shard per device in parallel in this process (each device loads its own copy of the model), then
     * merges the shards into one report under {@code config.runId()}: {@code -Dsdsat.devices=gpu0,gpu1}. The shard
     * of {@code config} is ignored; shard i of n runs on the i-th device. Timings of shards that share a device (or
     * CPU cores) disturb each other, so give each shard its own GPU.
     */
    public static RunResults runOnDevices(ReproductionConfig config, List<String> devices, Listener listener) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("sdsat.devices is empty: list one device per shard, e.g. gpu0,gpu1");
        }
        int n = devices.size();
        java.util.List<ReproductionConfig> shards = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ReproductionConfig c = config;
            shards.add(new ReproductionConfig(c.model(), devices.get(i), c.dtype(), c.satToken(), c.datasets(),
                    c.dataLimit(), c.kList(), c.decoders(), c.temperatures(), c.samplingDecoders(), c.samplingKList(),
                    c.samplingModes(), c.maxNewTokens(), c.infillMaxNewTokens(), c.seed(), c.runId(), new Shard(i, n),
                    c.outputDirectory(), c.warmup(), c.warmupMaxNewTokens()));
        }
        shards.forEach(ReproductionRun::validate); // every problem reported before any model loads
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.List<java.util.concurrent.Future<Outcome>> running = new java.util.ArrayList<>();
            for (ReproductionConfig shard : shards) {
                running.add(pool.submit(() -> run(shard, listener)));
            }
            for (java.util.concurrent.Future<Outcome> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while shards were running", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new SdsatException("A shard failed: " + cause, cause);
        } finally {
            pool.shutdownNow();
        }
        return io.github.sdsat.report.ShardFolders.mergeRun(config.outputDirectory(), config.runId());
    }

    /**
     * Checks every parameter that can be checked without the model, and loads the datasets.
     *
     * @return the tasks of this shard, per dataset in the given order
     * @throws IllegalArgumentException or {@link SdsatException} listing every problem found, with its
     *     parameter name and the fix
     */
    public static List<Task> validate(ReproductionConfig config) {
        List<String> problems = new ArrayList<>();
        try {
            ShardFolders.checkRunId(config.runId());
        } catch (IllegalArgumentException e) {
            problems.add("sdsat.runId: " + e.getMessage());
        }
        if (config.kList().isEmpty() && config.runsGreedy() && !config.decoders().isEmpty()) {
            problems.add("sdsat.kList is empty: give k values for the greedy rows, e.g. 1,3,5");
        }
        checkKs("sdsat.kList", config.kList(), problems);
        checkKs("sdsat.samplingKList", config.samplingKList(), problems);
        checkDecoders("sdsat.decoders", config.decoders(), problems);
        checkDecoders("sdsat.samplingDecoders", config.samplingDecoders(), problems);
        if (config.temperatures().isEmpty()) {
            problems.add("sdsat.temperatures is empty: give at least 0 (greedy), e.g. 0,0.2,1.0");
        }
        for (double t : config.temperatures()) {
            if (!(t >= 0.0) || Double.isInfinite(t)) {
                problems.add("sdsat.temperatures: " + t + " is not a temperature; use 0 (greedy) or a positive "
                        + "number such as 0.2 or 1.0");
            }
        }
        if (!config.samplingTemperatures().isEmpty()) {
            if (config.samplingDecoders().isEmpty()) {
                problems.add("sdsat.temperatures " + config.samplingTemperatures() + " asks for sampling rows but"
                        + " no sampling decoder is set" + (availableSamplingDecoders().isEmpty()
                        ? " and this build has none (" + TREE_DECODER + " is not available): use -Dsdsat.temperatures=0"
                        : ": set sdsat.samplingDecoders, e.g. " + TREE_DECODER));
            }
            if (config.samplingKList().isEmpty()) {
                problems.add("sdsat.samplingKList is empty: give the k values of the sampling rows, e.g. 5,7,9");
            }
            if (config.samplingModes().isEmpty()) {
                problems.add("sdsat.samplingModes is empty: give paper, lossless or both");
            }
        }
        if (!(config.dataLimit() > 0.0 && config.dataLimit() <= 1.0)) {
            problems.add("sdsat.dataLimit " + config.dataLimit() + " is outside (0, 1]: give the share of each "
                    + "dataset to run, e.g. 0.5 (the paper's first half) or 1");
        }
        if (config.maxNewTokens() < 1) {
            problems.add("sdsat.maxNewTokens " + config.maxNewTokens() + " must be at least 1");
        }
        if (config.infillMaxNewTokens() < 1) {
            problems.add("sdsat.infillMaxNewTokens " + config.infillMaxNewTokens() + " must be at least 1");
        }
        if (config.warmup() < 0 || config.warmupMaxNewTokens() < 1) {
            problems.add("sdsat.warmup " + config.warmup() + " must be >= 0 (and the warm-up token limit >= 1)");
        }
        if (config.datasets().isEmpty()) {
            problems.add("sdsat.datasets is empty: give humaneval, infilling or a JSONL file");
        }
        List<Task> tasks = new ArrayList<>();
        for (String dataset : config.datasets()) {
            try {
                List<Task> all = Datasets.load(dataset);
                if (problems.isEmpty()) {
                    tasks.addAll(Datasets.shard(Datasets.take(all, config.dataLimit()), config.shard()));
                }
            } catch (RuntimeException e) {
                problems.add("sdsat.datasets: " + e.getMessage());
            }
        }
        try {
            ResultFiles.checkWritable(config.outputDirectory().resolve(config.runFolderName()));
        } catch (RuntimeException e) {
            problems.add("sdsat.outputDirectory: " + e.getMessage());
        }
        if (problems.isEmpty() && tasks.isEmpty()) {
            problems.add("Shard " + config.shard() + " holds no prompts (the datasets have fewer prompts than "
                    + "shards after sdsat.dataLimit " + config.dataLimit() + "): use fewer shards or more data");
        }
        if (!problems.isEmpty()) {
            throw new SdsatException("Invalid sdsat:reproduce parameters:\n  - " + String.join("\n  - ", problems));
        }
        return List.copyOf(tasks);
    }

    private static void checkKs(String name, List<Integer> ks, List<String> problems) {
        for (int k : ks) {
            if (k < 1) {
                problems.add(name + ": k = " + k + " is not a number of SAT tokens; give values >= 1 (the "
                        + "baseline, k 0, always runs)");
            }
        }
        if (ks.stream().distinct().count() != ks.size()) {
            problems.add(name + " " + ks + " lists a value twice; list each k once");
        }
    }

    private static void checkDecoders(String name, List<String> decoders, List<String> problems) {
        for (String decoder : decoders) {
            if (decoder.equals(AutoregressiveDecoder.NAME)) {
                problems.add(name + ": '" + decoder + "' is the baseline, which always runs; list only speculative "
                        + "decoders (" + sdsatDecoders() + ")");
            } else if (!Decoders.names().contains(decoder)) {
                problems.add(name + ": unknown decoder '" + decoder + "'; this build has " + sdsatDecoders());
            }
        }
        if (decoders.stream().distinct().count() != decoders.size()) {
            problems.add(name + " " + decoders + " lists a decoder twice; list each once");
        }
    }

    private static List<String> sdsatDecoders() {
        return Decoders.names().stream().filter(n -> !n.equals(AutoregressiveDecoder.NAME)).toList();
    }

    /** The method configurations measured per prompt after the baseline(s), in run order. */
    static List<Method> methods(ReproductionConfig config) {
        List<Method> methods = new ArrayList<>();
        if (config.runsGreedy()) {
            for (String decoder : config.decoders()) {
                for (int k : config.kList()) {
                    methods.add(new Method(decoder, k, 0.0, null));
                }
            }
        }
        for (double t : config.samplingTemperatures()) {
            for (String decoder : config.samplingDecoders()) {
                for (SamplingMode mode : config.samplingModes()) {
                    for (int k : config.samplingKList()) {
                        methods.add(new Method(decoder, k, t, mode));
                    }
                }
            }
        }
        return methods;
    }

    private Outcome execute() {
        List<Task> tasks = validate(config);
        List<Method> methods = methods(config);
        AccuracyStage accuracyStage = accuracy == null ? null : prepareAccuracy();
        listener.info("Prompts: " + tasks.size() + " (shard " + config.shard() + "), configurations per prompt: "
                + (baselineTemperatures().size() + methods.size()) + " (" + baselineTemperatures().size()
                + " baseline + " + methods.size() + " methods)");

        DeviceChoice choice = DeviceChoice.resolve(config.device(), config.dtype());
        listener.info("Loading " + config.model() + " on " + choice.device() + " as " + choice.dtypeName());
        try (LoadedModel loaded = LoadedModel.open(config.model(), choice, config.satToken())) {
            PromptEncoder encoder = new PromptEncoder(loaded.tokenizer(), loaded.model().config().eosTokenIds());
            encoder.checkSupports(tasks);
            List<long[]> prompts = new ArrayList<>(tasks.size());
            for (Task task : tasks) {
                prompts.add(encoder.encode(task));
            }
            Map<String, Decoder> decoders = createDecoders(loaded, methods);
            checkLimits(loaded, decoders, methods, tasks, prompts, encoder);
            String sha = loaded.weightsSha256();

            warmUp(decoders, methods, tasks, prompts, encoder);
            List<PromptRecord> records = measure(decoders, methods, tasks, prompts, encoder);
            int curveCache = costCurveCache(prompts, tasks, loaded);
            Map<Integer, Double> curve = measureCostCurve(loaded, records, curveCache);
            records = records.stream().map(r -> r.withModelledTimes(curve)).toList();

            Environment environment = Environment.detect(choice.device().toString(), choice.dtypeName(),
                    choice.device().isGpu() ? choice.device().toString() : null, config.model().toString(), sha,
                    loaded.model().config().parameterCount())
                    .with(loaded.model().backend(), curveCache, curve);
            Map<String, Object> configMap = describe(loaded.satToken());
            if (accuracy != null) {
                configMap.put("accuracy", accuracy.describe());
            }
            RunResults results = RunResults.of(configMap, environment, records);
            if (accuracyStage != null) {
                AccuracyStage.Result measured = accuracyStage.run(loaded, listener::info);
                results = results.withAccuracy(measured.records(), measured.gate());
            }
            Path runDir = config.outputDirectory().resolve(config.runFolderName());
            listener.info("Writing " + runDir);
            ResultFiles.write(runDir, results);
            if (!config.isSharded()) {
                ResultFiles.updateLatest(config.outputDirectory(), config.runFolderName());
            }
            return new Outcome(runDir, runDir.resolve(ResultFiles.INDEX_HTML), results);
        }
    }

    /** The accuracy stage, checked (parameters, Python) before the model loads. */
    private AccuracyStage prepareAccuracy() {
        if (config.isSharded()) {
            throw new SdsatException("sdsat.accuracy runs on the whole of HumanEval in one process; run it without"
                    + " sdsat.shard / sdsat.devices");
        }
        List<String> greedy = config.runsGreedy() ? config.decoders() : List.of();
        int k = config.kList().stream().mapToInt(Integer::intValue).max().orElse(0);
        int samplingK = config.samplingKList().stream().mapToInt(Integer::intValue).max().orElse(0);
        SamplingMode mode = config.samplingModes().isEmpty() ? SamplingMode.PAPER : config.samplingModes().get(0);
        AccuracyStage stage = AccuracyStage.prepare(accuracy, greedy, k, config.samplingDecoders(), mode, samplingK,
                config.seed());
        listener.info("Accuracy stage: " + stage.problemCount() + " HumanEval problems, sandbox "
                + stage.sandbox().describe());
        return stage;
    }

    /**
     * Rounds of the run's cost curve: each width's median over this many passes (after a warm-up round). 7 rounds
     * let one noisy point through (a run measured T(2) below T(1) and overstated every ceiling); 21 rounds of all
     * widths take well under a second on the embedded model.
     */
    static final int COST_CURVE_ROUNDS = 21;

    /**
     * The cache length the cost curve is measured at: the median prompt length plus half the mean generation
     * length, the typical context of a decode pass in this run (bounded by the model's context).
     */
    private int costCurveCache(List<long[]> prompts, List<Task> tasks, LoadedModel loaded) {
        double[] lengths = prompts.stream().mapToDouble(p -> p.length).toArray();
        double meanNew = tasks.stream().mapToInt(this::maxNewTokens).average().orElse(0);
        int cached = (int) Math.round(Aggregator.median(lengths) + meanNew / 2);
        return Math.max(1, Math.min(cached, loaded.model().config().maxPositions() / 2));
    }

    /**
     * T(width) for every pass width the records used, measured now on the loaded model: the input of each row's
     * speedup ceiling (docs/PERFORMANCE.md). Measured after the prompts so the JIT and caches are as warm as for
     * the measured passes.
     */
    private Map<Integer, Double> measureCostCurve(LoadedModel loaded, List<PromptRecord> records, int cached) {
        java.util.TreeSet<Integer> widths = new java.util.TreeSet<>(List.of(1));
        for (PromptRecord r : records) {
            long[] byWidth = r.decodePassesByWidth();
            for (int w = 1; byWidth != null && w < byWidth.length; w++) {
                if (byWidth[w] > 0) {
                    widths.add(w);
                }
            }
        }
        int room = loaded.model().config().maxPositions() - widths.last();
        int at = Math.max(0, Math.min(cached, room));
        listener.info("Cost curve: " + widths.size() + " pass widths (1.." + widths.last() + ") at " + at
                + " cached tokens, median of " + COST_CURVE_ROUNDS);
        return CostCurve.medians(loaded.model(), at, new ArrayList<>(widths), COST_CURVE_ROUNDS);
    }

    private List<Double> baselineTemperatures() {
        List<Double> temperatures = new ArrayList<>();
        if (config.runsGreedy()) {
            temperatures.add(0.0);
        }
        temperatures.addAll(config.samplingTemperatures());
        return temperatures;
    }

    private Map<String, Decoder> createDecoders(LoadedModel loaded, List<Method> methods) {
        Map<String, Decoder> decoders = new LinkedHashMap<>();
        decoders.put(AutoregressiveDecoder.NAME, Decoders.create(AutoregressiveDecoder.NAME, loaded.model(), -1));
        for (Method method : methods) {
            if (!decoders.containsKey(method.decoder())) {
                try {
                    decoders.put(method.decoder(), Decoders.create(method.decoder(), loaded.model(),
                            loaded.satToken()));
                } catch (IllegalArgumentException e) {
                    throw new SdsatException("Cannot run decoder " + method.decoder() + " on " + config.model() + ": "
                            + e.getMessage(), e);
                }
            }
        }
        return decoders;
    }

    /** Asks each decoder whether it serves each configuration, and checks prompt lengths against the context. */
    private void checkLimits(LoadedModel loaded, Map<String, Decoder> decoders, List<Method> methods,
            List<Task> tasks, List<long[]> prompts, PromptEncoder encoder) {
        List<String> problems = new ArrayList<>();
        List<Method> valid = new ArrayList<>();
        for (Method method : methods) {
            try {
                decoders.get(method.decoder()).validate(generationConfig(method, 1, 0L, new long[0]));
                valid.add(method);
            } catch (IllegalArgumentException e) {
                problems.add((method.isGreedy() ? "sdsat.kList" : "sdsat.samplingKList/sdsat.samplingModes")
                        + ": " + method.decoder() + " with k = " + method.k()
                        + (method.isGreedy() ? "" : " at temperature " + method.temperature() + " ("
                        + method.sampling().id() + ")") + ": " + e.getMessage());
            }
        }
        int maxK = methods.stream().mapToInt(Method::k).max().orElse(0);
        int context = loaded.model().config().maxPositions();
        for (int i = 0; i < tasks.size(); i++) {
            // Each decoder says what it needs: the prompt, the new tokens and its scratch slots for that k.
            int needed = 0;
            for (Method method : valid) {
                GenerationConfig generation = generationConfig(method, maxNewTokens(tasks.get(i)), 0L, new long[0]);
                needed = Math.max(needed,
                        decoders.get(method.decoder()).cacheSlots(prompts.get(i).length, generation));
            }
            if (needed > context) {
                problems.add("Prompt " + tasks.get(i).dataset() + "/" + tasks.get(i).id() + " has "
                        + prompts.get(i).length + " tokens; with " + maxNewTokens(tasks.get(i))
                        + " new tokens and k up to " + maxK + " it needs " + needed + " positions, more than the "
                        + "model's context of " + context + ": lower sdsat.maxNewTokens or the k values, or use "
                        + "a dataset with shorter prompts");
                if (problems.size() > 20) {
                    break;
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new SdsatException("Invalid sdsat:reproduce parameters for this model:\n  - "
                    + String.join("\n  - ", problems));
        }
    }

    private int maxNewTokens(Task task) {
        return task.kind() == Task.Kind.INFILL ? config.infillMaxNewTokens() : config.maxNewTokens();
    }

    private GenerationConfig generationConfig(Method method, int maxNewTokens, long seed, long[] stops) {
        return GenerationConfig.builder().maxNewTokens(maxNewTokens).temperature(method.temperature())
                .k(method.k()).seed(seed).sampling(method.sampling()).stopTokenIds(stops).build();
    }

    private void warmUp(Map<String, Decoder> decoders, List<Method> methods, List<Task> tasks, List<long[]> prompts,
            PromptEncoder encoder) {
        int count = Math.min(config.warmup(), tasks.size());
        if (count == 0) {
            return;
        }
        listener.info("Warm-up: " + count + " prompt(s) through every configuration, " + config.warmupMaxNewTokens()
                + " tokens each, not measured");
        for (int i = 0; i < count; i++) {
            Task task = tasks.get(i);
            int limit = Math.min(config.warmupMaxNewTokens(), maxNewTokens(task));
            runPrompt(decoders, methods, task, prompts.get(i), encoder.stopTokens(task), limit);
        }
    }

    private List<PromptRecord> measure(Map<String, Decoder> decoders, List<Method> methods, List<Task> tasks,
            List<long[]> prompts, PromptEncoder encoder) {
        int configurations = baselineTemperatures().size() + methods.size();
        double totalWork = 0;
        for (Task task : tasks) {
            totalWork += (double) configurations * maxNewTokens(task);
        }
        List<PromptRecord> records = new ArrayList<>();
        double doneWork = 0;
        long start = System.nanoTime();
        for (int i = 0; i < tasks.size(); i++) {
            Task task = tasks.get(i);
            List<PromptRecord> promptRecords = runPrompt(decoders, methods, task, prompts.get(i),
                    encoder.stopTokens(task), maxNewTokens(task));
            records.addAll(promptRecords);
            doneWork += (double) configurations * maxNewTokens(task);
            double elapsed = (System.nanoTime() - start) / 1e9;
            double eta = elapsed / doneWork * (totalWork - doneWork);
            listener.progress(new Progress(i + 1, tasks.size(), task.dataset(), task.id(), elapsed, eta,
                    promptRecords.get(0).timeMs(), bestSpeedup(promptRecords)));
        }
        return records;
    }

    private static Double bestSpeedup(List<PromptRecord> records) {
        Double best = null;
        for (PromptRecord record : records) {
            if (record.isBaseline()) {
                continue;
            }
            PromptRecord baseline = records.stream()
                    .filter(r -> r.isBaseline() && r.temperature() == record.temperature()).findFirst().orElse(null);
            if (baseline != null && record.timeMs() > 0) {
                double speedup = baseline.timeMs() / record.timeMs();
                best = best == null ? speedup : Math.max(best, speedup);
            }
        }
        return best;
    }

    /** Baseline then methods at each temperature for one prompt; records in run order. */
    private List<PromptRecord> runPrompt(Map<String, Decoder> decoders, List<Method> methods, Task task,
            long[] prompt, long[] stops, int maxNewTokens) {
        List<PromptRecord> records = new ArrayList<>();
        long seed = taskSeed(task);
        Decoder ar = decoders.get(AutoregressiveDecoder.NAME);
        for (double temperature : baselineTemperatures()) {
            Method baselineMethod = new Method(AutoregressiveDecoder.NAME, 0, temperature,
                    temperature == 0.0 ? null : SamplingMode.LOSSLESS);
            Measured baseline = timed(ar, prompt, generationConfig(baselineMethod, maxNewTokens, seed, stops));
            // The greedy baseline is trivially identical to itself; sampled outputs are not compared.
            records.add(record(task, AutoregressiveDecoder.NAME, 0, temperature, null, baseline,
                    temperature == 0.0 ? baseline.result.outputIds() : null));
            // The method generates as many tokens as the baseline did (it stops at the same stop tokens too).
            int length = Math.max(1, baseline.result.outputIds().length);
            for (Method method : methods) {
                if (method.temperature() != temperature) {
                    continue;
                }
                Measured measured = timed(decoders.get(method.decoder()), prompt,
                        generationConfig(method, length, seed, stops));
                records.add(record(task, method.decoder(), method.k(), temperature,
                        method.isGreedy() ? null : method.sampling().id(), measured,
                        method.isGreedy() ? baseline.result.outputIds() : null));
            }
        }
        return records;
    }

    /** A per-task seed: independent of the shard layout, so a task samples the same in any partition. */
    private long taskSeed(Task task) {
        return new SplittableRandom(config.seed() ^ (31L * task.dataset().hashCode() + task.id().hashCode()))
                .nextLong();
    }

    private record Measured(GenerationResult result, double wallMs) {
    }

    private static Measured timed(Decoder decoder, long[] prompt, GenerationConfig generation) {
        long start = System.nanoTime();
        GenerationResult result = decoder.generate(prompt, generation);
        return new Measured(result, (System.nanoTime() - start) / 1e6);
    }

    private static PromptRecord record(Task task, String decoder, int k, double temperature, String sampling,
            Measured measured, long[] baselineIds) {
        GenerationStats stats = measured.result.stats();
        long[] output = measured.result.outputIds();
        Boolean identical = null;
        Integer firstMismatch = null;
        if (baselineIds != null) {
            int mismatch = Arrays.mismatch(output, baselineIds);
            identical = mismatch < 0;
            firstMismatch = mismatch < 0 ? null : mismatch;
        }
        double seconds = measured.wallMs / 1000.0;
        return new PromptRecord(task.dataset(), task.id(), decoder, k, temperature, sampling,
                measured.result.promptIds().length, stats.newTokens(), stats.forwardPasses(), stats.draftedTokens(),
                stats.acceptedTokens(), stats.acceptedPerPosition(), measured.wallMs, stats.prefillMs(),
                seconds > 0 ? stats.newTokens() / seconds : 0.0, identical, firstMismatch, stats.loops(),
                repeatedAcceptedTokens(measured.result), stats.decodePassesByWidth(), null, null);
    }

    /**
     * Emitted accepted drafts whose 4-gram already occurred in prompt + output before them: the part of a
     * decoder's acceptance that copying the context explains (the same count as {@link DraftingEvaluation}'s).
     */
    static long repeatedAcceptedTokens(GenerationResult result) {
        boolean[] fromDraft = result.fromDraft();
        boolean anyDraft = false;
        for (boolean f : fromDraft) {
            anyDraft |= f;
        }
        if (!anyDraft) {
            return 0;
        }
        boolean[] repeats = DraftingEvaluation.repeatsContext(result.promptIds(), result.outputIds(),
                DraftingEvaluation.NGRAM);
        long count = 0;
        for (int i = 0; i < repeats.length; i++) {
            count += repeats[i] && fromDraft[i] ? 1 : 0;
        }
        return count;
    }

    /** The run's configuration as written to results.json (shards of one run differ only in shard). */
    private Map<String, Object> describe(long satToken) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("runId", config.runId());
        map.put("shard", config.shard().toString());
        map.put("datasets", config.datasets());
        map.put("dataLimit", config.dataLimit());
        map.put("kList", config.kList());
        map.put("decoders", config.decoders());
        map.put("temperatures", config.temperatures());
        map.put("samplingDecoders", config.samplingDecoders());
        map.put("samplingKList", config.samplingKList());
        map.put("samplingModes", config.samplingModes().stream().map(SamplingMode::id).toList());
        map.put("maxNewTokens", config.maxNewTokens());
        map.put("infillMaxNewTokens", config.infillMaxNewTokens());
        map.put("seed", config.seed());
        map.put("satToken", satToken);
        map.put("device", config.device());
        map.put("dtype", config.dtype());
        map.put("warmup", config.warmup());
        map.put("warmupMaxNewTokens", config.warmupMaxNewTokens());
        map.put("outputDirectory", config.outputDirectory().toString());
        map.put("lengthRule", "methods generate as many tokens as the baseline did on the same prompt");
        return map;
    }

    static String duration(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
