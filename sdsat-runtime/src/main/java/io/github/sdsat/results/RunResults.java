package io.github.sdsat.results;

import io.github.sdsat.Records;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a run produced, the content of {@code results.json} (docs/DESIGN.md §9): the run's configuration, where it
 * ran, the summary rows and the per-prompt records.
 *
 * @param config the run's parameters by name (datasets, dataLimit, kList, decoders, temperatures, seed,
 *     maxNewTokens, runId, shard, ...), in the order given
 * @param environment where it ran
 * @param rows summary rows, as {@link Aggregator#summarise} computes them from {@code prompts}
 * @param prompts per-prompt records
 * @param accuracy HumanEval pass@1 per model and decoder, when the run had the accuracy stage; else empty
 * @param accuracyGate the accuracy verdict with its paired comparisons, null without the accuracy stage
 * @param lineCompletion the held-out line completions per model, decoder and item, when the run had the
 *     line-completion stage; else empty (also when read from a results.json written before the stage existed)
 * @param lineCompletionGate the line-completion verdict with its scores, null without the stage
 * @param mismatches each greedy run whose output differs from the baseline's, with its logit margin (tie or real)
 * @param gates every gate the run evaluated (lossless, floors, baseline, accuracy), in evaluation order; empty for
 *     results written before gates existed
 */
public record RunResults(
        Map<String, Object> config,
        Environment environment,
        List<RowSummary> rows,
        List<PromptRecord> prompts,
        List<AccuracyRecord> accuracy,
        AccuracyGate accuracyGate,
        List<LineCompletionRecord> lineCompletion,
        LineCompletionGate lineCompletionGate,
        List<GreedyMismatch> mismatches,
        List<GateResult> gates) {

    public RunResults {
        Objects.requireNonNull(environment, "environment");
        // LinkedHashMap keeps the given order and, unlike Map.copyOf, allows null values (e.g. an unset seed).
        config = config == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(config));
        rows = rows == null ? List.of() : List.copyOf(rows);
        prompts = prompts == null ? List.of() : List.copyOf(prompts);
        accuracy = accuracy == null ? List.of() : List.copyOf(accuracy);
        lineCompletion = lineCompletion == null ? List.of() : List.copyOf(lineCompletion);
        mismatches = mismatches == null ? List.of() : List.copyOf(mismatches);
        gates = gates == null ? List.of() : List.copyOf(gates);
    }

    /** Results of a run without the accuracy stages. */
    public RunResults(
            Map<String, Object> config, Environment environment, List<RowSummary> rows, List<PromptRecord> prompts) {
        this(config, environment, rows, prompts, null, null, null, null, null, null);
    }

    /** These results with the accuracy stage's rows and verdict. */
    public RunResults withAccuracy(List<AccuracyRecord> records, AccuracyGate gate) {
        return Records.copyWith(this, "accuracy", records, "accuracyGate", gate);
    }

    /** These results with the line-completion stage's records and verdict. */
    public RunResults withLineCompletion(List<LineCompletionRecord> records, LineCompletionGate gate) {
        return Records.copyWith(this, "lineCompletion", records, "lineCompletionGate", gate);
    }

    /** These results with another configuration map (a stage adding its parameters). */
    public RunResults withConfig(Map<String, Object> newConfig) {
        return Records.copyWith(this, "config", newConfig);
    }

    /** These results with the greedy runs that differ from the baseline. */
    public RunResults withMismatches(List<GreedyMismatch> differing) {
        return Records.copyWith(this, "mismatches", differing);
    }

    /** These results with the gates evaluated on them. */
    public RunResults withGates(List<GateResult> evaluated) {
        return Records.copyWith(this, "gates", evaluated);
    }

    /** The gates that fail the build. */
    public List<GateResult> failedGates() {
        return gates.stream().filter(GateResult::failsTheBuild).toList();
    }

    /** Results whose rows are computed from the prompt records. */
    public static RunResults of(Map<String, Object> config, Environment environment, List<PromptRecord> prompts) {
        return new RunResults(config, environment, Aggregator.summarise(prompts), prompts);
    }
}
