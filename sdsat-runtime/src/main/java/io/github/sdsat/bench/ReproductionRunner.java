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
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs one plan on one device (docs/DESIGN.md §6): loads the model, encodes the prompts, creates the decoders and
 * has the plan check their limits, warms up, then per prompt runs the baseline and every method configuration one
 * after the other, records each generation (with the id-by-id equivalence check of greedy rows against the
 * baseline), and measures the cost curve the rows' ceilings come from ({@link RunCostCurve}). Writes nothing: {@link ReproductionRun}
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
        // The pass and its weights' precision are known only once loaded: a bfloat16 checkpoint on the CPU runs
        // float32 arithmetic on bfloat16 weights, which "as float32" would misreport.
        listener.info("Loading " + config.model() + " on " + choice.device());
        try (LoadedModel loaded = LoadedModel.open(config.model(), choice, config.satToken())) {
            listener.info("Forward pass: " + loaded.model().backend());
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
            int curveCache = RunCostCurve.cachedLength(prompts, tasks, plan, loaded.model());
            Map<Integer, Double> curve = RunCostCurve.measure(loaded.model(), records, curveCache, listener);
            records = records.stream().map(r -> r.withModelledTimes(curve)).toList();

            Environment environment = Environment.detect(
                            choice.device().toString(),
                            loaded.model().weightPrecision(),
                            choice.device().isGpu() ? DeviceChoice.describeGpu(choice.device()) : null,
                            config.model().toString(),
                            sha,
                            loaded.model().config().parameterCount())
                    .with(loaded.model().backend(), curveCache, curve)
                    .withWeightBandwidth(
                            loaded.model().weightBytesPerPass(),
                            RunCostCurve.arWeightGBps(loaded.model().weightBytesPerPass(), records));
            RunResults results = RunResults.of(config.describe(loaded.satToken()), environment, records)
                    .withMismatches(mismatches);
            return after == null ? results : after.extend(loaded, results);
        }
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
            records.add(RunRecords.of(
                    task,
                    AutoregressiveDecoder.NAME,
                    0,
                    temperature,
                    null,
                    baseline.result,
                    baseline.wallMs,
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
                PromptRecord record = RunRecords.of(
                        task,
                        method.decoder(),
                        method.k(),
                        temperature,
                        method.isGreedy() ? null : method.sampling().id(),
                        run.result,
                        run.wallMs,
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

    /** One generation timed on the model's clock, which waits for the device before each read. */
    private Measured timed(Decoder decoder, long[] prompt, GenerationConfig generation) {
        long start = model.clock();
        GenerationResult result = decoder.generate(prompt, generation);
        return new Measured(result, (model.clock() - start) / 1e6);
    }
}
