package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.accuracy.AccuracyConfig;
import io.github.sdsat.accuracy.LineCompletionConfig;
import io.github.sdsat.accuracy.LineCompletionRun;
import io.github.sdsat.gate.GateFailures;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.report.GateReports;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.report.ShardFolders;
import io.github.sdsat.report.SummaryTable;
import io.github.sdsat.results.RunResults;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The {@code sdsat:reproduce} and {@code sdsat:merge} goals behind their Mojos, which only map parameters: which run
 * (one process, or one shard per device), the optional stages, the log lines (plan, progress, summary table,
 * accuracy, line completion, report path, gates) and the build's verdict, thrown after the report is written.
 */
public final class ReproductionGoal {

    /** The line before the summary table, with the speedup's denominator. */
    static final String SUMMARY_HEADING =
            "Summary (speedup = baseline mean time / row mean time on the same prompts):\n";

    private ReproductionGoal() {}

    /**
     * What {@code sdsat:reproduce} runs.
     *
     * @param config the speed protocol's parameters
     * @param devices {@code sdsat.devices}: one shard per device in this process, merged; empty to run the shard of
     *     {@code config} here
     * @param baseModel {@code sdsat.baseModel} as given (a model folder, or {@code base} for the embedded one); null or
     *     blank for none
     * @param accuracy the HumanEval stage's parameters, null to skip it; its {@code baseModel} is replaced by this
     *     request's {@code baseModel} (the one property both stages compare with)
     * @param lineCompletion the line-completion stage's parameters, null to skip it (skipped in a shard, with a log
     *     line)
     */
    public record Request(
            ReproductionConfig config,
            List<String> devices,
            String baseModel,
            AccuracyConfig accuracy,
            LineCompletionConfig lineCompletion) {
        public Request {
            Objects.requireNonNull(config, "config");
            devices = devices == null ? List.of() : List.copyOf(devices);
        }

        /** {@code baseModel} resolved (an embedded one extracted on first use), null for none. */
        Path resolvedBaseModel() {
            return baseModel == null || baseModel.isBlank() ? null : EmbeddedModels.resolve(baseModel.strip());
        }
    }

    /**
     * Runs the reproduction, logs its summary and where the report is, and fails when a gate failed.
     *
     * @return the results written
     * @throws SdsatException or {@link IllegalArgumentException} on bad parameters (before any work) and on failed
     *     gates (after the report is written), naming each
     */
    public static RunResults reproduce(Request request, Consumer<String> log) {
        ReproductionConfig config = request.config();
        log.accept(plan(config));
        ReproductionRun.Listener listener = new ReproductionRun.Listener() {
            @Override
            public void info(String message) {
                log.accept(message);
            }

            @Override
            public void progress(ReproductionRun.Progress progress) {
                log.accept(progress.describe());
            }
        };
        if (!request.devices().isEmpty()) {
            if (request.accuracy() != null) {
                throw new IllegalArgumentException("sdsat.accuracy runs the accuracy stage in one process on the"
                        + " whole of HumanEval: drop sdsat.devices (or run the accuracy stage separately)");
            }
            RunResults merged = ReproductionRun.runOnDevices(config, request.devices(), listener);
            log.accept(SUMMARY_HEADING + SummaryTable.format(merged.rows()));
            logCostCurveWarning(merged, log);
            log.accept("Report: "
                    + config.outputDirectory().resolve(config.runId()).resolve(ResultFiles.INDEX_HTML));
            log.accept("Gates of every shard:\n" + GateReports.summary(merged));
            GateFailures.requireNone(merged);
            return merged;
        }
        // The base model is resolved once, and only for a stage that compares with it: a run without one ignores it.
        boolean linesHere = request.lineCompletion() != null && !config.isSharded();
        Path base = request.accuracy() != null || linesHere ? request.resolvedBaseModel() : null;
        AccuracyConfig accuracy = request.accuracy() == null ? null : withBaseModel(request.accuracy(), base);
        if (request.lineCompletion() != null && config.isSharded()) {
            log.accept("Line completion skipped: it measures two models in one process, not in a shard");
        }
        LineCompletionRun lineCompletion =
                linesHere ? LineCompletionRun.forModel(request.lineCompletion(), config.model(), base) : null;
        ReproductionRun.Outcome outcome = ReproductionRun.run(config, accuracy, lineCompletion, listener);
        RunResults results = outcome.results();
        log.accept(SUMMARY_HEADING + SummaryTable.format(outcome.rows()));
        logCostCurveWarning(results, log);
        if (!results.accuracy().isEmpty()) {
            log.accept("HumanEval accuracy:\n" + SummaryTable.formatAccuracy(results));
        }
        if (results.lineCompletionGate() != null) {
            log.accept("Line completion:\n" + SummaryTable.formatLineCompletion(results));
        }
        log.accept("Report: " + outcome.indexHtml().toAbsolutePath());
        log.accept("Gates (also in " + outcome.runDir().resolve(GateReports.JUNIT_XML) + "):\n"
                + GateReports.summary(results));
        GateFailures.requireNone(results);
        return results;
    }

    /** Under the summary table: the sentence of {@code Environment.costCurveInversion}, when the curve has one. */
    static void logCostCurveWarning(RunResults results, Consumer<String> log) {
        String warning =
                results.environment() == null ? null : results.environment().costCurveInversion();
        if (warning != null) {
            log.accept("Ceilings: " + warning);
        }
    }

    /**
     * {@code sdsat:merge}: joins the shards of {@code runId} under {@code outputDirectory} into one report, logs its
     * summary, and fails when a shard's gate failed.
     *
     * @return the merged results
     * @throws SdsatException on missing or mismatched shards, and on failed gates, naming each
     */
    public static RunResults merge(Path outputDirectory, String runId, Consumer<String> log) {
        RunResults merged = ShardFolders.mergeRun(outputDirectory, runId);
        log.accept("Merged " + merged.config().get("shards") + " into " + outputDirectory.resolve(runId));
        log.accept("Summary:\n" + SummaryTable.format(merged.rows()));
        log.accept("Report: "
                + outputDirectory.resolve(runId).resolve(ResultFiles.INDEX_HTML).toAbsolutePath());
        if (!merged.gates().isEmpty()) {
            log.accept("Gates of every shard:\n" + GateReports.summary(merged));
            GateFailures.requireNone(merged);
        }
        return merged;
    }

    /** The first log line: what the run measures. */
    static String plan(ReproductionConfig config) {
        return "SDSAT reproduction " + config.runId() + ": model " + config.model() + ", datasets "
                + config.datasets() + " (first " + config.dataLimit() + "), greedy k " + config.kList() + " for "
                + config.decoders() + ", temperatures " + config.temperatures()
                + (config.samplingTemperatures().isEmpty()
                        ? ""
                        : ", sampling k " + config.samplingKList() + " for " + config.samplingDecoders() + " "
                                + config.samplingModes());
    }

    private static AccuracyConfig withBaseModel(AccuracyConfig accuracy, Path base) {
        return new AccuracyConfig(
                base,
                accuracy.dataLimit(),
                accuracy.maxNewTokens(),
                accuracy.margin(),
                accuracy.samples(),
                accuracy.samplingTemperature(),
                accuracy.python(),
                accuracy.timeout(),
                accuracy.parallelism());
    }
}
