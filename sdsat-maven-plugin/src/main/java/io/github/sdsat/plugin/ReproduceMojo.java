package io.github.sdsat.plugin;

import io.github.sdsat.accuracy.AccuracyConfig;
import io.github.sdsat.accuracy.LineCompletionConfig;
import io.github.sdsat.bench.ReproductionConfig;
import io.github.sdsat.bench.ReproductionGoal;
import io.github.sdsat.bench.ReproductionRun;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.gate.GateSettings;
import io.github.sdsat.results.Shard;
import java.io.File;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Runs the paper's speed protocol and writes a report: per prompt, the autoregressive baseline and every SDSAT
 * configuration, interleaved, in one process, after a warm-up; each method generates exactly as many tokens as the
 * baseline did, and greedy outputs are compared with the baseline's id by id. Writes
 * {@code <outputDirectory>/<runId>/} with {@code results.json}, {@code results.csv}, {@code prompts.csv}, PNG
 * charts and {@code index.html}, points {@code <outputDirectory>/latest} at it, logs per-prompt progress with an
 * ETA and a summary table at the end, and prints the path of {@code index.html}.
 *
 * <p>Rows: the baseline ({@code ar}, k 0) at every temperature; at temperature 0, each of {@code sdsat.decoders}
 * with each k of {@code sdsat.kList}; at each temperature above 0, each of {@code sdsat.samplingDecoders} with
 * each k of {@code sdsat.samplingKList} and each rule of {@code sdsat.samplingModes}. All parameters are checked
 * before any work starts.
 *
 * <p>Scale-out: {@code -Dsdsat.shard=i/n} runs every n-th prompt starting at i (0-based) and writes
 * {@code <outputDirectory>/<runId>-shard-<i>-of-<n>/}; {@code sdsat:merge -Dsdsat.runId=<runId>} joins the shards.
 */
@Mojo(name = "reproduce", requiresProject = false, aggregator = true, threadSafe = true)
public class ReproduceMojo extends AbstractSdsatMojo {

    /**
     * Datasets, comma-separated: {@code humaneval} (164 code-completion prompts), {@code infilling} (single-line
     * fill-in-the-middle tasks built from HumanEval solutions, SPM order, ends at {@code <EOT>}), or paths to JSONL
     * files with {@code {"id","prompt"}} or {@code {"id","prefix","suffix"}} objects.
     */
    @Parameter(property = "sdsat.datasets", defaultValue = "humaneval,infilling")
    String datasets;

    /** Leading fraction of each dataset to run, in (0, 1]; the paper runs the first half (0.5). */
    @Parameter(property = "sdsat.dataLimit", defaultValue = "0.5")
    double dataLimit;

    /**
     * k values (SAT tokens per draft) of the greedy rows, comma-separated; {@code a..b} is a range (e.g.
     * {@code 1..13}, the paper's sweep). The default keeps the run on the embedded model near 15 minutes on a
     * 2-core CPU. The baseline (k 0) always runs.
     */
    @Parameter(property = "sdsat.kList", defaultValue = "1,3,5")
    String kList;

    /** Speculative decoders of the greedy rows, comma-separated (default {@code sdsat,sdsat-single-pass,lookup}). */
    @Parameter(property = "sdsat.decoders", defaultValue = ReproductionRun.DEFAULT_DECODER)
    String decoders;

    /**
     * Temperatures, comma-separated: 0 runs the greedy rows, each value above 0 the sampling rows (the paper uses
     * 0.2 and 1.0). Default: {@code 0,0.2,1.0} when this build has a sampling decoder ({@code sdsat-tree}),
     * else {@code 0}.
     */
    @Parameter(property = "sdsat.temperatures")
    String temperatures;

    /** Decoders of the sampling rows; default: {@code sdsat-tree} when this build has it, else none. */
    @Parameter(property = "sdsat.samplingDecoders")
    String samplingDecoders;

    /** k values of the sampling rows (the paper's trees: 5,7,9,11,13). */
    @Parameter(property = "sdsat.samplingKList", defaultValue = "5")
    String samplingKList;

    /**
     * Acceptance rules of the sampling rows: {@code paper} (the paper's rule), {@code lossless} (exact
     * speculative sampling), or both.
     */
    @Parameter(property = "sdsat.samplingModes", defaultValue = "paper")
    String samplingModes;

    /** New tokens per completion prompt (the baseline's limit; each method then generates as many as it did). */
    @Parameter(property = "sdsat.maxNewTokens", defaultValue = "256")
    int maxNewTokens;

    /** New tokens per infilling prompt (the paper's 50); generation also ends at {@code <EOT>}. */
    @Parameter(property = "sdsat.infillMaxNewTokens", defaultValue = "50")
    int infillMaxNewTokens;

    /** Report root; the run writes a folder named after the run id in it. */
    @Parameter(property = "sdsat.outputDirectory", defaultValue = "${maven.multiModuleProjectDirectory}/reports")
    File outputDirectory;

    /** Name of the run's folder; default: the local time, e.g. {@code 20240327-142501}. */
    @Parameter(property = "sdsat.runId")
    String runId;

    /** Run one shard of the prompts: {@code i/n}, 0-based (e.g. {@code 0/4} .. {@code 3/4}). */
    @Parameter(property = "sdsat.shard", defaultValue = "0/1")
    String shard;

    /**
     * Devices to run shards on in parallel in this process, one shard each, comma-separated (e.g.
     * {@code gpu0,gpu1} on a machine with two GPUs); the shards are merged into {@code reports/<runId>/}.
     * Overrides {@code sdsat.shard} and {@code sdsat.device}.
     */
    @Parameter(property = "sdsat.devices")
    String devices;

    /** Prompts run through every configuration before measuring (results discarded). */
    @Parameter(property = "sdsat.warmup", defaultValue = "1")
    int warmup;

    /**
     * Adds the HumanEval accuracy stage: greedy completions of the problems' prompts by plain decoding and every
     * greedy decoder of {@code sdsat.decoders} (at the largest k of {@code sdsat.kList}), and by the base model
     * when {@code sdsat.baseModel} is set, each run with the problem's tests in a sandbox (needs {@code python3});
     * pass@1 per model and decoder in results.json ({@code accuracy}) and the report; the build fails when the
     * gate fails (the SDSAT model's pass@1 more than {@code sdsat.accuracyMargin} below the base model's, or a
     * greedy decoder writing other text than plain decoding).
     */
    @Parameter(property = "sdsat.accuracy", defaultValue = "false")
    boolean accuracy;

    /** The base model to compare with: a model folder, or {@code base} for the embedded one. */
    @Parameter(property = "sdsat.baseModel")
    String baseModel;

    /** Leading fraction of HumanEval's 164 problems the accuracy stage runs, in (0, 1]. */
    @Parameter(property = "sdsat.accuracyDataLimit", defaultValue = "1.0")
    double accuracyDataLimit;

    /** New tokens per completion of the accuracy stage (fewer where the prompt leaves less room). */
    @Parameter(property = "sdsat.accuracyMaxNewTokens", defaultValue = "256")
    int accuracyMaxNewTokens;

    /** The largest drop of greedy pass@1 (SDSAT model below base model) the gate accepts, e.g. 0.02. */
    @Parameter(property = "sdsat.accuracyMargin", defaultValue = "0.02")
    double accuracyMargin;

    /** Sampled completions per problem (n of pass@k) at {@code sdsat.accuracyTemperature}; 0: greedy only. */
    @Parameter(property = "sdsat.accuracySamples", defaultValue = "0")
    int accuracySamples;

    /** Temperature of the sampled completions. */
    @Parameter(property = "sdsat.accuracyTemperature", defaultValue = "0.2")
    double accuracyTemperature;

    /** The Python interpreter that runs the tests: {@code python3} on the PATH, or a path. */
    @Parameter(property = "sdsat.python", defaultValue = "python3")
    String python;

    /** Wall-clock limit of one problem's program, seconds. */
    @Parameter(property = "sdsat.accuracyTimeout", defaultValue = "3")
    double accuracyTimeout;

    /** Programs run at once in the sandbox. */
    @Parameter(property = "sdsat.accuracyParallelism", defaultValue = "2")
    int accuracyParallelism;

    /**
     * Runs the line-completion accuracy stage after the speed measurement (on by default): held-out Python lines
     * completed greedily by the SDSAT model and its base (exact match, edit similarity, held-out bits per byte, paired
     * 95% intervals), every greedy SDSAT decoder checked to write plain decoding's line. The base is
     * {@code sdsat.baseModel}, or the embedded base model when the model is the embedded {@code sdsat}; without one the
     * SDSAT model is measured alone and the comparisons are not enforced. The build fails when the SDSAT model's exact
     * match is more than {@code sdsat.lineCompletionMargin} below base's, its bits per byte more than
     * {@code sdsat.lineCompletionBitsPerByteMargin} above base's, or a decoder writes another line. Unsharded runs only
     * (skipped with {@code sdsat.shard} / {@code sdsat.devices}).
     */
    @Parameter(property = "sdsat.lineCompletion", defaultValue = "true")
    boolean lineCompletion;

    /** Leading fraction of the 360 bundled held-out lines the line-completion stage runs, in (0, 1]. */
    @Parameter(property = "sdsat.lineCompletionDataLimit", defaultValue = "1.0")
    double lineCompletionDataLimit;

    /** Largest drop of the SDSAT model's line exact match below the base model's that passes. */
    @Parameter(property = "sdsat.lineCompletionMargin", defaultValue = "0.02")
    double lineCompletionMargin;

    /** Largest relative increase of the SDSAT model's held-out bits per byte over the base model's that passes. */
    @Parameter(property = "sdsat.lineCompletionBitsPerByteMargin", defaultValue = "0.03")
    double lineCompletionBitsPerByteMargin;

    /** Leading share of the lines the greedy SDSAT decoders also complete (plain decoding completes all). */
    @Parameter(property = "sdsat.lineCompletionDecoderShare", defaultValue = "0.3333")
    double lineCompletionDecoderShare;

    /**
     * Fail the build when a greedy row's output differs from autoregressive greedy decoding on any prompt (a real
     * mismatch: the two tokens' logits differ by at least {@code sdsat.gate.tieMargin}; numerical ties are listed, not
     * failed). {@code false} only reports it.
     */
    @Parameter(property = "sdsat.failOnMismatch", defaultValue = "true")
    boolean failOnMismatch;

    /** Logit margin below which a greedy difference from the baseline is a numerical tie. */
    @Parameter(property = "sdsat.gate.tieMargin", defaultValue = "1e-4")
    double gateTieMargin;

    /**
     * Speedup floors of greedy rows, {@code decoder:k=value} comma-separated (e.g. {@code sdsat:3=1.5,lookup:3=1.2}):
     * the build fails when the one-sided 95% bootstrap lower bound of the row's speedup (ratio of medians, prompts
     * resampled) is below the value, on any dataset.
     */
    @Parameter(property = "sdsat.gate.minSpeedup")
    String gateMinSpeedup;

    /** Floors of tokens per forward pass of greedy rows, {@code decoder:k=value} (e.g. {@code sdsat:3=1.3}). */
    @Parameter(property = "sdsat.gate.minTokensPerForward")
    String gateMinTokensPerForward;

    /**
     * A pinned run to gate against: its {@code results.json} (or run folder), of the same model and configuration.
     * Every row present in both is compared: tokens per forward and accepted drafts per loop must not fall by more
     * than {@code sdsat.gate.countTolerance}; the speedup must not fall significantly more than
     * {@code sdsat.gate.speedupTolerance} below the pinned one (paired bootstrap over prompts at
     * {@code sdsat.gate.alpha}); a row that vanished is reported.
     */
    @Parameter(property = "sdsat.gate.baseline")
    File gateBaseline;

    /** Largest relative fall of a deterministic count below the pinned run's that passes. */
    @Parameter(property = "sdsat.gate.countTolerance", defaultValue = "0.01")
    double gateCountTolerance;

    /** Relative fall of the speedup below the pinned run's that must be significant to fail. */
    @Parameter(property = "sdsat.gate.speedupTolerance", defaultValue = "0.10")
    double gateSpeedupTolerance;

    /** Significance level of the pinned-run speedup test. */
    @Parameter(property = "sdsat.gate.alpha", defaultValue = "0.05")
    double gateAlpha;

    @Override
    protected void run() {
        GateSettings gates = new GateSettings(
                failOnMismatch,
                gateTieMargin,
                GateSettings.parseFloors("sdsat.gate.minSpeedup", gateMinSpeedup),
                GateSettings.parseFloors("sdsat.gate.minTokensPerForward", gateMinTokensPerForward),
                gateBaseline == null ? null : gateBaseline.toPath(),
                gateCountTolerance,
                gateSpeedupTolerance,
                gateAlpha);
        ReproductionConfig.Builder config = ReproductionConfig.builder()
                .model(modelFolder())
                .device(device)
                .dtype(dtype)
                .satToken(satToken)
                .datasets(ParameterLists.strings("sdsat.datasets", datasets))
                .dataLimit(dataLimit)
                .kList(ParameterLists.ints("sdsat.kList", kList))
                .decoders(ParameterLists.strings("sdsat.decoders", decoders))
                .temperatures(temperatures == null ? null : ParameterLists.doubles("sdsat.temperatures", temperatures))
                .samplingDecoders(
                        samplingDecoders == null
                                ? null
                                : ParameterLists.strings("sdsat.samplingDecoders", samplingDecoders))
                .samplingKList(ParameterLists.ints("sdsat.samplingKList", samplingKList))
                .samplingModes(ParameterLists.strings("sdsat.samplingModes", samplingModes).stream()
                        .map(SamplingMode::parse)
                        .toList())
                .maxNewTokens(maxNewTokens)
                .infillMaxNewTokens(infillMaxNewTokens)
                .seed(seed)
                .runId(runId)
                .shard(Shard.parse(shard))
                .outputDirectory(outputDirectory.toPath())
                .warmup(warmup)
                .gates(gates);
        AccuracyConfig humanEval = new AccuracyConfig(
                null, // the base model is sdsat.baseModel, resolved by the goal
                accuracyDataLimit,
                accuracyMaxNewTokens,
                accuracyMargin,
                accuracySamples,
                accuracyTemperature,
                python,
                AccuracyConfig.timeoutOfSeconds(accuracyTimeout),
                accuracyParallelism);
        LineCompletionConfig lines = LineCompletionConfig.forRun(
                lineCompletionDataLimit,
                lineCompletionMargin,
                lineCompletionBitsPerByteMargin,
                lineCompletionDecoderShare,
                seed);
        ReproductionGoal.reproduce(
                new ReproductionGoal.Request(
                        config.build(),
                        devices == null || devices.isBlank() ? null : ParameterLists.strings("sdsat.devices", devices),
                        baseModel,
                        accuracy ? humanEval : null,
                        lineCompletion ? lines : null),
                getLog()::info);
    }
}
