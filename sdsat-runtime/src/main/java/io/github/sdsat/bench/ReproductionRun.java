package io.github.sdsat.bench;

import io.github.sdsat.Durations;
import io.github.sdsat.SdsatException;
import io.github.sdsat.accuracy.AccuracyConfig;
import io.github.sdsat.accuracy.AccuracyStage;
import io.github.sdsat.accuracy.LineCompletionRun;
import io.github.sdsat.accuracy.LineCompletionStage;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.DraftVerifyDecoder;
import io.github.sdsat.decode.SdsatSinglePassDecoder;
import io.github.sdsat.decode.SdsatTreeDecoder;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import io.github.sdsat.gate.BaselineComparison;
import io.github.sdsat.gate.RunGates;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

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
 * <p>The run is three jobs: {@link ReproductionPlan} validates every parameter before any work (decoder limits are
 * asked from the decoders themselves once the model loads) and expands the method configurations;
 * {@link ReproductionRunner} runs the plan on one device and returns the results; this class writes them to
 * {@code <outputDirectory>/<runFolder>/} via {@link ResultFiles} and points {@code latest} at an unsharded run.
 * {@link ShardedRun} runs shards on several devices of one machine and merges them.
 */
public final class ReproductionRun {
    /**
     * Greedy decoders of the default run (comma-separated: also the Mojo's default value). {@code lookup} (prompt
     * lookup, no draft pass) is the yardstick for SDSAT's drafts: its rows cost one pass per loop.
     */
    public static final String DEFAULT_DECODER =
            SdsatTwoStepDrafter.NAME + "," + SdsatSinglePassDecoder.NAME + "," + DraftVerifyDecoder.LOOKUP;

    /** Receives progress while a run goes on (the Maven goal logs it). Called on the running thread. */
    public interface Listener {
        /** A phase message (loading, warm-up, writing). */
        default void info(String message) {}

        /** A prompt finished all its configurations. */
        default void progress(Progress progress) {}
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
    public record Progress(
            int promptsDone,
            int promptsTotal,
            String dataset,
            String taskId,
            double elapsedSeconds,
            double etaSeconds,
            double baselineMs,
            Double bestSpeedup) {
        /** One log line, e.g. {@code [12/164] humaneval HumanEval/11 ar 812 ms, best 1.42x | 1m10s, ETA 14m02s}. */
        public String describe() {
            return String.format(
                    Locale.ROOT,
                    "[%d/%d] %s %s: ar %.0f ms%s | elapsed %s, ETA %s",
                    promptsDone,
                    promptsTotal,
                    dataset,
                    taskId,
                    baselineMs,
                    bestSpeedup == null ? "" : String.format(Locale.ROOT, ", best speedup %.2fx", bestSpeedup),
                    Durations.format(elapsedSeconds),
                    Durations.format(etaSeconds));
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

    private final ReproductionConfig config;
    private final AccuracyConfig accuracy;
    private final LineCompletionRun lineCompletion;
    private final Listener listener;
    private final java.util.function.UnaryOperator<java.util.Map<String, io.github.sdsat.decode.Decoder>>
            decoderOverride;

    private ReproductionRun(
            ReproductionConfig config,
            AccuracyConfig accuracy,
            LineCompletionRun lineCompletion,
            Listener listener,
            java.util.function.UnaryOperator<java.util.Map<String, io.github.sdsat.decode.Decoder>> decoderOverride) {
        this.config = config;
        this.accuracy = accuracy;
        this.lineCompletion = lineCompletion;
        this.listener = listener == null ? new Listener() {} : listener;
        this.decoderOverride = decoderOverride;
    }

    /**
     * Sampling decoders of the default run (the default of {@code samplingDecoders}): the paper's decoder for nucleus
     * sampling, {@code sdsat-tree}, when this build has it.
     */
    public static List<String> availableSamplingDecoders() {
        return Decoders.names().contains(SdsatTreeDecoder.NAME) ? List.of(SdsatTreeDecoder.NAME) : List.of();
    }

    /** Validates, runs and writes a reproduction; see the class comment. */
    public static Outcome run(ReproductionConfig config, Listener listener) {
        return run(config, null, listener);
    }

    /**
     * {@link #run(ReproductionConfig, Listener)}, then, when {@code accuracy} is given, the HumanEval accuracy stage
     * ({@link AccuracyStage}) on the loaded model: its rows and gate go into {@code results.json} and the report.
     * Python is looked for before the model loads. Every gate ({@link RunGates}, the accuracy stage's
     * among them) is evaluated into the results before they are written; the caller fails the build on a failed one
     * ({@link io.github.sdsat.gate.GateFailures#requireNone}) after the report is written.
     */
    public static Outcome run(ReproductionConfig config, AccuracyConfig accuracy, Listener listener) {
        return run(config, accuracy, null, listener);
    }

    /**
     * {@link #run(ReproductionConfig, AccuracyConfig, Listener)}, then, when {@code lineCompletion} is given, the
     * line-completion stage ({@link LineCompletionStage}: held-out lines by the SDSAT model and its base, the greedy
     * decoders checked against plain decoding) on the loaded model; its records and gate go into {@code results.json}
     * and the report, and {@link RunGates} turns its verdict into gates. Its items are read before the model loads.
     * Unsharded runs only (it is one process's measurement of two models).
     */
    public static Outcome run(
            ReproductionConfig config, AccuracyConfig accuracy, LineCompletionRun lineCompletion, Listener listener) {
        return new ReproductionRun(config, accuracy, lineCompletion, listener, decoders -> decoders).execute();
    }

    /** {@link #run(ReproductionConfig, Listener)} with decoders replaced after creation: for tests of the gates. */
    static Outcome runWithDecoders(
            ReproductionConfig config,
            java.util.function.UnaryOperator<java.util.Map<String, io.github.sdsat.decode.Decoder>> decoderOverride,
            Listener listener) {
        return new ReproductionRun(config, null, null, listener, decoderOverride).execute();
    }

    /**
     * Runs one shard per device in parallel in this process (each device loads its own copy of the model), then
     * merges the shards into one report under {@code config.runId()}: {@code -Dsdsat.devices=gpu0,gpu1}. The shard
     * of {@code config} is ignored; shard i of n runs on the i-th device. Timings of shards that share a device (or
     * CPU cores) disturb each other, so give each shard its own GPU.
     */
    public static RunResults runOnDevices(ReproductionConfig config, List<String> devices, Listener listener) {
        return ShardedRun.runOnDevices(config, devices, listener);
    }

    /**
     * Checks every parameter that can be checked without the model, and loads the datasets.
     *
     * @return the tasks of this shard, per dataset in the given order
     * @throws IllegalArgumentException or {@link SdsatException} listing every problem found, with its
     *     parameter name and the fix
     */
    public static List<Task> validate(ReproductionConfig config) {
        return ReproductionPlan.validate(config);
    }

    /** Plans (every parameter checked first), runs, then writes results.json, the report and the latest link. */
    private Outcome execute() {
        ReproductionPlan plan = ReproductionPlan.of(config);
        RunResults pinned = pinnedBaseline();
        AccuracyStage accuracyStage = accuracy == null ? null : prepareAccuracy();
        LineCompletionStage lineStage = lineCompletion == null ? null : prepareLineCompletion();
        RunResults results = new ReproductionRunner(plan, listener, decoderOverride)
                .run(
                        accuracyStage == null && lineStage == null
                                ? null
                                : (loaded, measured) -> {
                                    java.util.Map<String, Object> configMap =
                                            new java.util.LinkedHashMap<>(measured.config());
                                    RunResults extended = measured;
                                    if (accuracyStage != null) {
                                        AccuracyStage.Result result = accuracyStage.run(loaded, listener::info);
                                        configMap.put("accuracy", accuracy.describe());
                                        extended = extended.withAccuracy(result.records(), result.gate());
                                    }
                                    if (lineStage != null) {
                                        LineCompletionStage.Result result =
                                                lineCompletion.run(lineStage, loaded, listener::info);
                                        configMap.put("lineCompletion", lineCompletion.describe());
                                        extended = extended.withLineCompletion(result.records(), result.gate());
                                    }
                                    return extended.withConfig(configMap);
                                });
        results = results.withGates(RunGates.evaluate(results, config.gates(), pinned));
        Path runDir = config.outputDirectory().resolve(config.runFolderName());
        listener.info("Writing " + runDir);
        ResultFiles.write(runDir, results);
        if (!config.isSharded()) {
            ResultFiles.updateLatest(config.outputDirectory(), config.runFolderName());
        }
        return new Outcome(runDir, runDir.resolve(ResultFiles.INDEX_HTML), results);
    }

    /**
     * The pinned run of {@code sdsat.gate.baseline}, refused before any work when it is of another model or
     * configuration (the SAT token is compared once the model resolves it); null without a baseline.
     */
    private RunResults pinnedBaseline() {
        Path path = config.gates().baseline();
        if (path == null) {
            return null;
        }
        RunResults pinned = BaselineComparison.read(path);
        java.util.Map<String, Object> known = new java.util.LinkedHashMap<>(config.describe(-1));
        known.remove("satToken");
        BaselineComparison.requireComparable(path, pinned, known, LoadedModel.weightsSha256(config.model()));
        listener.info("Gating against the pinned run " + BaselineComparison.resultsFile(path) + " ("
                + pinned.rows().size() + " rows)");
        return pinned;
    }

    /** The line-completion stage, checked (parameters, base folder, items) before the model loads. */
    private LineCompletionStage prepareLineCompletion() {
        if (config.isSharded()) {
            throw new SdsatException("the line-completion stage measures two models in one process; run it without"
                    + " sdsat.shard / sdsat.devices (-Dsdsat.lineCompletion=false for sharded runs)");
        }
        LineCompletionStage stage = lineCompletion.prepare();
        listener.info("Line-completion stage: " + stage.itemCount() + " held-out lines ("
                + stage.decoderItems() + " also by " + stage.config().decoders() + " at k = "
                + stage.config().k() + "), base model: " + lineCompletion.baseSource());
        return stage;
    }

    /** The accuracy stage, checked (parameters, Python) before the model loads. */
    private AccuracyStage prepareAccuracy() {
        if (config.isSharded()) {
            throw new SdsatException("sdsat.accuracy runs on the whole of HumanEval in one process; run it without"
                    + " sdsat.shard / sdsat.devices");
        }
        List<String> greedy = config.runsGreedy() ? config.decoders() : List.of();
        int k = config.kList().stream().mapToInt(Integer::intValue).max().orElse(0);
        int samplingK = config.samplingKList().stream()
                .mapToInt(Integer::intValue)
                .max()
                .orElse(0);
        io.github.sdsat.decode.SamplingMode mode = config.samplingModes().isEmpty()
                ? io.github.sdsat.decode.SamplingMode.PAPER
                : config.samplingModes().get(0);
        AccuracyStage stage =
                AccuracyStage.prepare(accuracy, greedy, k, config.samplingDecoders(), mode, samplingK, config.seed());
        listener.info("Accuracy stage: " + stage.problemCount() + " HumanEval problems, sandbox "
                + stage.sandbox().describe());
        return stage;
    }
}
