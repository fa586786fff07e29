package io.github.sdsat.bench;

import io.github.sdsat.bench.ReproductionPlan.Method;
import io.github.sdsat.bench.ReproductionRun.Listener;
import io.github.sdsat.bench.ReproductionRun.Progress;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.results.Aggregator;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.train.DraftingEvaluation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs one plan on one device (docs/DESIGN.md §6): loads the model, encodes the prompts, creates the decoders and
 * has the plan check their limits, warms up, then per prompt runs the baseline and every method configuration one
 * after the other, records each generation (with the id-by-id equivalence check of greedy rows against the
 * baseline), and measures the cost curve the rows' ceilings come from. Writes nothing: {@link ReproductionRun}
 * writes the results it returns.
 */
final class ReproductionRunner {
    private final ReproductionPlan plan;
    private final ReproductionConfig config;
    private final Listener listener;
    /** The loaded model while {@link #run} runs (its clock times every generation). */
    private LlamaModel model;
    /** Its tokenizer, for the token texts of a mismatch. */
    private io.github.sdsat.tokenizer.SdsatTokenizer tokenizer;
    /** The greedy runs of the measurement whose output differs from the baseline's, classified. */
    private final List<GreedyMismatch> mismatches = new ArrayList<>();

    /** Replaces decoders after the plan creates them: the seam through which tests feed a broken decoder. */
    private final java.util.function.UnaryOperator<Map<String, Decoder>> decoderOverride;

    ReproductionRunner(ReproductionPlan plan, Listener listener) {
        this(plan, listener, decoders -> decoders);
    }

    ReproductionRunner(
            ReproductionPlan plan, Listener listener, java.util.function.UnaryOperator<Map<String, Decoder>> override) {
        this.plan = plan;
        this.config = plan.config();
        this.listener = listener;
        this.decoderOverride = override;
    }

    /** A stage that runs on the loaded model after the measurement and extends its results (the accuracy stage). */
    interface AfterMeasurement {
        RunResults extend(LoadedModel loaded, RunResults measured);
    }

    /** Runs the plan; {@code after} (may be null) runs on the same loaded model before it is closed. */
    RunResults run(AfterMeasurement after) {
        List<Task> tasks = plan.tasks();
        List<Method> methods = plan.methods();
        listener.info("Prompts: " + tasks.size() + " (shard " + config.shard() + "), configurations per prompt: "
                + plan.configurationsPerPrompt() + " ("
                + plan.baselineTemperatures().size()
                + " baseline + " + methods.size() + " methods)");

        DeviceChoice choice = DeviceChoice.resolve(config.device(), config.dtype());
        listener.info("Loading " + config.model() + " on " + choice.device() + " as " + choice.dtypeName());
        try (LoadedModel loaded = LoadedModel.open(config.model(), choice, config.satToken())) {
            model = loaded.model();
            tokenizer = loaded.tokenizer();
            PromptEncoder encoder = new PromptEncoder(
                    loaded.tokenizer(), loaded.model().config().eosTokenIds());
            encoder.checkSupports(tasks);
            List<long[]> prompts = new ArrayList<>(tasks.size());
            for (Task task : tasks) {
                prompts.add(encoder.encode(task));
            }
            Map<String, Decoder> decoders = decoderOverride.apply(plan.createDecoders(loaded));
            plan.checkLimits(loaded, decoders, prompts);
            String sha = loaded.weightsSha256();

            warmUp(decoders, methods, tasks, prompts, encoder);
            List<PromptRecord> records = measure(decoders, methods, tasks, prompts, encoder);
            int curveCache = costCurveCache(prompts, tasks, loaded);
            Map<Integer, Double> curve = measureCostCurve(loaded, records, curveCache);
            records = records.stream().map(r -> r.withModelledTimes(curve)).toList();

            Environment environment = Environment.detect(
                            choice.device().toString(),
                            choice.dtypeName(),
                            choice.device().isGpu() ? DeviceChoice.describeGpu(choice.device()) : null,
                            config.model().toString(),
                            sha,
                            loaded.model().config().parameterCount())
                    .with(loaded.model().backend(), curveCache, curve)
                    .withWeightBandwidth(
                            loaded.model().weightBytesPerPass(),
                            arWeightGBps(loaded.model().weightBytesPerPass(), records));
            RunResults results = RunResults.of(config.describe(loaded.satToken()), environment, records)
                    .withMismatches(mismatches);
            return after == null ? results : after.extend(loaded, results);
        }
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
        double meanNew = tasks.stream().mapToInt(plan::maxNewTokens).average().orElse(0);
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
        return PassTimings.medians(loaded.model(), at, new ArrayList<>(widths), COST_CURVE_ROUNDS);
    }

    private void warmUp(
            Map<String, Decoder> decoders,
            List<Method> methods,
            List<Task> tasks,
            List<long[]> prompts,
            PromptEncoder encoder) {
        int count = Math.min(config.warmup(), tasks.size());
        if (count == 0) {
            return;
        }
        listener.info("Warm-up: " + count + " prompt(s) through every configuration, " + config.warmupMaxNewTokens()
                + " tokens each, not measured");
        for (int i = 0; i < count; i++) {
            Task task = tasks.get(i);
            int limit = Math.min(config.warmupMaxNewTokens(), plan.maxNewTokens(task));
            runPrompt(decoders, methods, task, prompts.get(i), encoder.stopTokens(task), limit, false);
        }
    }

    private List<PromptRecord> measure(
            Map<String, Decoder> decoders,
            List<Method> methods,
            List<Task> tasks,
            List<long[]> prompts,
            PromptEncoder encoder) {
        int configurations = plan.configurationsPerPrompt();
        double totalWork = 0;
        for (Task task : tasks) {
            totalWork += (double) configurations * plan.maxNewTokens(task);
        }
        List<PromptRecord> records = new ArrayList<>();
        double doneWork = 0;
        long start = System.nanoTime();
        for (int i = 0; i < tasks.size(); i++) {
            Task task = tasks.get(i);
            List<PromptRecord> promptRecords = runPrompt(
                    decoders, methods, task, prompts.get(i), encoder.stopTokens(task), plan.maxNewTokens(task), true);
            records.addAll(promptRecords);
            doneWork += (double) configurations * plan.maxNewTokens(task);
            double elapsed = (System.nanoTime() - start) / 1e9;
            double eta = elapsed / doneWork * (totalWork - doneWork);
            listener.progress(new Progress(
                    i + 1,
                    tasks.size(),
                    task.dataset(),
                    task.id(),
                    elapsed,
                    eta,
                    promptRecords.get(0).timeMs(),
                    bestSpeedup(promptRecords)));
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
                    .filter(r -> r.isBaseline() && r.temperature() == record.temperature())
                    .findFirst()
                    .orElse(null);
            if (baseline != null && record.timeMs() > 0) {
                double speedup = baseline.timeMs() / record.timeMs();
                best = best == null ? speedup : Math.max(best, speedup);
            }
        }
        return best;
    }

    /**
     * Baseline then methods at each temperature for one prompt; records in run order. When {@code measured}, each
     * greedy output that differs from the baseline's is classified ({@link #classify}).
     */
    private List<PromptRecord> runPrompt(
            Map<String, Decoder> decoders,
            List<Method> methods,
            Task task,
            long[] prompt,
            long[] stops,
            int maxNewTokens,
            boolean measured) {
        List<PromptRecord> records = new ArrayList<>();
        long seed = plan.taskSeed(task);
        Decoder ar = decoders.get(AutoregressiveDecoder.NAME);
        for (double temperature : plan.baselineTemperatures()) {
            Method baselineMethod = new Method(
                    AutoregressiveDecoder.NAME, 0, temperature, temperature == 0.0 ? null : SamplingMode.LOSSLESS);
            Measured baseline =
                    timed(ar, prompt, ReproductionPlan.generationConfig(baselineMethod, maxNewTokens, seed, stops));
            // The greedy baseline is trivially identical to itself; sampled outputs are not compared.
            records.add(record(
                    task,
                    AutoregressiveDecoder.NAME,
                    0,
                    temperature,
                    null,
                    baseline,
                    temperature == 0.0 ? baseline.result.outputIds() : null));
            // The method generates as many tokens as the baseline did (it stops at the same stop tokens too).
            int length = Math.max(1, baseline.result.outputIds().length);
            for (Method method : methods) {
                if (method.temperature() != temperature) {
                    continue;
                }
                Measured run = timed(
                        decoders.get(method.decoder()),
                        prompt,
                        ReproductionPlan.generationConfig(method, length, seed, stops));
                PromptRecord record = record(
                        task,
                        method.decoder(),
                        method.k(),
                        temperature,
                        method.isGreedy() ? null : method.sampling().id(),
                        run,
                        method.isGreedy() ? baseline.result.outputIds() : null);
                records.add(record);
                if (measured && Boolean.FALSE.equals(record.identicalToBaseline())) {
                    mismatches.add(classify(task, method, prompt, baseline.result.outputIds(), run.result.outputIds()));
                }
            }
        }
        return records;
    }

    private record Measured(GenerationResult result, double wallMs) {}

    /**
     * Where a greedy output first differs from the baseline's, with the logit margin of the two tokens after the
     * baseline prefix from one plain causal pass in a fresh cache (an independent path: no speculative decoder), so
     * that a numerical tie is told from a real mismatch ({@link GreedyMismatch}).
     */
    private GreedyMismatch classify(Task task, Method method, long[] prompt, long[] baseline, long[] output) {
        int position = Arrays.mismatch(baseline, output);
        long expected = position < baseline.length ? baseline[position] : -1;
        long actual = position < output.length ? output[position] : -1;
        Double margin = null;
        if (expected >= 0 && actual >= 0) {
            long[] prefix = Arrays.copyOf(prompt, prompt.length + position);
            System.arraycopy(baseline, 0, prefix, prompt.length, position);
            long[] positions = new long[prefix.length];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = i;
            }
            float[] logits; // [vocab]: the row predicting the token after the prefix
            try (KvCache cache = model.newCache(prefix.length)) {
                logits = model.logits(cache, prefix, positions, null, prefix.length - 1);
            }
            margin = (double) logits[(int) expected] - logits[(int) actual];
        }
        return new GreedyMismatch(
                task.dataset(),
                task.id(),
                method.decoder(),
                method.k(),
                position,
                expected,
                actual,
                expected < 0 ? "" : tokenizer.decode(new long[] {expected}, false),
                actual < 0 ? "" : tokenizer.decode(new long[] {actual}, false),
                margin,
                plan.tieMargin());
    }

    /**
     * Weight bytes per pass / the greedy baseline's median decode time per token (prefill excluded), in GB/s: the
     * bandwidth AR decoding achieves, beside the speedups; null without greedy baseline rows of two tokens or more.
     */
    static Double arWeightGBps(long weightBytesPerPass, List<PromptRecord> records) {
        double[] msPerToken = records.stream()
                .filter(r -> r.isBaseline() && r.temperature() == 0.0 && r.newTokens() > 1)
                .mapToDouble(r -> (r.timeMs() - r.prefillMs()) / (r.newTokens() - 1))
                .toArray();
        if (msPerToken.length == 0 || weightBytesPerPass <= 0) {
            return null;
        }
        double median = io.github.sdsat.results.Aggregator.median(msPerToken);
        return median > 0 ? weightBytesPerPass / (median / 1e3) / 1e9 : null;
    }

    /** One generation timed on the model's clock, which waits for the device before each read. */
    private Measured timed(Decoder decoder, long[] prompt, GenerationConfig generation) {
        long start = model.clock();
        GenerationResult result = decoder.generate(prompt, generation);
        return new Measured(result, (model.clock() - start) / 1e6);
    }

    private static PromptRecord record(
            Task task,
            String decoder,
            int k,
            double temperature,
            String sampling,
            Measured measured,
            long[] baselineIds) {
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
        return new PromptRecord(
                task.dataset(),
                task.id(),
                decoder,
                k,
                temperature,
                sampling,
                measured.result.promptIds().length,
                stats.newTokens(),
                stats.forwardPasses(),
                stats.draftedTokens(),
                stats.acceptedTokens(),
                stats.acceptedPerPosition(),
                measured.wallMs,
                stats.prefillMs(),
                seconds > 0 ? stats.newTokens() / seconds : 0.0,
                identical,
                firstMismatch,
                stats.loops(),
                repeatedAcceptedTokens(measured.result),
                stats.decodePassesByWidth(),
                null,
                null);
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
        boolean[] repeats =
                DraftingEvaluation.repeatsContext(result.promptIds(), result.outputIds(), DraftingEvaluation.NGRAM);
        long count = 0;
        for (int i = 0; i < repeats.length; i++) {
            count += repeats[i] && fromDraft[i] ? 1 : 0;
        }
        return count;
    }
}
