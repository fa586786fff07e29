package io.github.sdsat.gate;

import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GateResult.Status;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.LineCompletionGate;
import io.github.sdsat.results.LineCompletionModelSummary;
import io.github.sdsat.results.MeasureDiscrimination;
import io.github.sdsat.results.PairedDifference;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.SpeedupInterval;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Evaluates the gates of a measured run (docs/DESIGN.md §7), a pure function of its results: the report shows them,
 * {@code results.json} holds them, the JUnit XML and Allure results make each one a test case, and the Maven goal
 * fails the build on every {@link GateResult.Status#FAILED} one after the report is written.
 *
 * <ul>
 *   <li><b>lossless</b>, one per greedy speculative row: every prompt's ids equal the baseline's, except numerical
 *       ties (a {@link GreedyMismatch} whose logit margin is below the tie margin), which are listed but pass;
 *   <li><b>minSpeedup</b>, per floor and dataset: the one-sided 95% bootstrap lower bound of the speedup (ratio of
 *       medians, prompts resampled: {@link SpeedupInterval}, the method of {@code reproduction-tests}) at least the
 *       floor;
 *   <li><b>minTokensPerForward</b>, per floor and dataset: the row's tokens per forward pass at least the floor;
 *   <li><b>baseline</b>: {@link BaselineComparison};
 *   <li><b>accuracy</b>: the HumanEval stage's verdict; a stage whose pass@1 is 0 for every model and decoder cannot
 *       discriminate and is reported as uninformative ({@link Status#NOT_ENFORCED}), never as a pass;
 *   <li><b>accuracy</b>, line completion: three gates from the stage's verdict ({@link #lineCompletion}): greedy
 *       decoders write plain decoding's line; exact match within the margin of base's (uninformative when 0 or 1 for
 *       both models); held-out bits per byte within the margin of base's. Without a base model the two comparisons
 *       are {@link Status#NOT_ENFORCED}.
 * </ul>
 */
public final class RunGates {
    /** Mismatches quoted in a failed lossless gate's message; all are in results.json. */
    static final int QUOTED_MISMATCHES = 3;

    private RunGates() {}

    /**
     * @param pinned the pinned baseline run of {@code settings.baseline()}, or null
     * @throws io.github.sdsat.SdsatException when {@code pinned} is of another model or configuration
     */
    public static List<GateResult> evaluate(RunResults results, GateSettings settings, RunResults pinned) {
        List<GateResult> gates = new ArrayList<>(lossless(results, settings));
        gates.addAll(speedupFloors(results, settings.minSpeedup()));
        gates.addAll(tokensPerForwardFloors(results, settings.minTokensPerForward()));
        if (pinned != null) {
            gates.addAll(BaselineComparison.evaluate(results, pinned, settings));
        }
        GateResult accuracy = humanEval(results.accuracyGate(), results.accuracy());
        if (accuracy != null) {
            gates.add(accuracy);
        }
        if (results.lineCompletionGate() != null) {
            gates.addAll(lineCompletion(results.lineCompletionGate()));
        }
        return gates;
    }

    static List<GateResult> lossless(RunResults results, GateSettings settings) {
        List<GateResult> gates = new ArrayList<>();
        for (RowSummary row : results.rows()) {
            if (!row.isGreedy() || row.isBaseline() || row.identicalToBaseline() == null) {
                continue;
            }
            List<GreedyMismatch> mine = results.mismatches().stream()
                    .filter(m ->
                            m.dataset().equals(row.dataset()) && m.decoder().equals(row.decoder()) && m.k() == row.k())
                    .toList();
            List<GreedyMismatch> ties =
                    mine.stream().filter(GreedyMismatch::tie).toList();
            List<GreedyMismatch> real = mine.stream().filter(m -> !m.tie()).toList();
            int differing = row.prompts() - row.identicalToBaseline();
            // Differences without a classified record (e.g. results merged from shards of an older version) count as
            // real: nothing shows they are ties.
            int unclassified = Math.max(0, differing - mine.size());
            int realCount = real.size() + unclassified;
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("prompts", row.prompts());
            figures.put("identical", row.identicalToBaseline());
            figures.put("numericalTies", ties.size());
            figures.put("realMismatches", realCount);
            figures.put("tieMargin", settings.tieMargin());
            String name = row.dataset() + " " + row.decoder() + " k=" + row.k();
            String tieText = ties.isEmpty()
                    ? ""
                    : "; " + ties.size() + " numerical tie(s), not failures: "
                            + ties.stream()
                                    .limit(QUOTED_MISMATCHES)
                                    .map(GreedyMismatch::describe)
                                    .collect(Collectors.joining(" | "));
            if (realCount == 0) {
                gates.add(new GateResult(
                        "lossless",
                        name,
                        Status.PASSED,
                        row.identicalToBaseline() + " of " + row.prompts() + " prompts identical to autoregressive"
                                + " greedy decoding" + tieText,
                        figures));
                continue;
            }
            String quoted = real.stream()
                    .limit(QUOTED_MISMATCHES)
                    .map(GreedyMismatch::describe)
                    .collect(Collectors.joining(" | "));
            String message = realCount + " of " + row.prompts() + " prompts differ from autoregressive greedy decoding"
                    + (quoted.isEmpty() ? "" : ": " + quoted)
                    + (real.size() > QUOTED_MISMATCHES ? " (and " + (real.size() - QUOTED_MISMATCHES) + " more)" : "")
                    + (unclassified > 0 ? " (" + unclassified + " without a recorded logit margin)" : "")
                    + tieText
                    + (settings.failOnMismatch() ? "" : " [reported only: sdsat.failOnMismatch=false]");
            gates.add(new GateResult(
                    "lossless",
                    name,
                    settings.failOnMismatch() ? Status.FAILED : Status.NOT_ENFORCED,
                    message,
                    figures));
        }
        return gates;
    }

    static List<GateResult> speedupFloors(RunResults results, Map<GateSettings.RowKey, Double> floors) {
        List<GateResult> gates = new ArrayList<>();
        for (Map.Entry<GateSettings.RowKey, Double> floor : floors.entrySet()) {
            for (RowSummary row : greedyRows(results, floor.getKey())) {
                String name = row.dataset() + " " + row.decoder() + " k=" + row.k() + " >= " + floor.getValue() + "x";
                SpeedupInterval interval = SpeedupInterval.ofGreedyRow(results, row);
                if (interval == null) {
                    int prompts = SpeedupInterval.pairedGreedyTimings(results, row)[0].length;
                    gates.add(new GateResult(
                            "minSpeedup",
                            name,
                            Status.FAILED,
                            "the speedup's lower bound needs at least 2 prompts measured by both the baseline and the"
                                    + " row, found " + prompts + ": raise sdsat.dataLimit",
                            Map.of("floor", floor.getValue(), "prompts", prompts)));
                    continue;
                }
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("floor", floor.getValue());
                figures.put("lowerBound", interval.lower());
                figures.put("ratioOfMedians", interval.ratioOfMedians());
                figures.put("upperBound", interval.upper());
                figures.put("prompts", interval.prompts());
                figures.put("ceiling", row.ceilingSpeedup());
                boolean passed = interval.lower() >= floor.getValue();
                gates.add(new GateResult(
                        "minSpeedup",
                        name,
                        passed ? Status.PASSED : Status.FAILED,
                        interval.describe()
                                + (passed ? "; at least " : "; below ")
                                + "the floor " + floor.getValue() + "x"
                                + (row.ceilingSpeedup() == null
                                        ? ""
                                        : String.format(Locale.ROOT, " (ceiling %.2fx)", row.ceilingSpeedup())),
                        figures));
            }
        }
        return gates;
    }

    static List<GateResult> tokensPerForwardFloors(RunResults results, Map<GateSettings.RowKey, Double> floors) {
        List<GateResult> gates = new ArrayList<>();
        for (Map.Entry<GateSettings.RowKey, Double> floor : floors.entrySet()) {
            for (RowSummary row : greedyRows(results, floor.getKey())) {
                Double measured = row.tokensPerForward();
                boolean passed = measured != null && measured >= floor.getValue();
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("floor", floor.getValue());
                figures.put("tokensPerForward", measured);
                figures.put("meanAcceptedPerLoop", row.meanAcceptedPerLoop());
                gates.add(new GateResult(
                        "minTokensPerForward",
                        row.dataset() + " " + row.decoder() + " k=" + row.k() + " >= " + floor.getValue(),
                        passed ? Status.PASSED : Status.FAILED,
                        String.format(
                                Locale.ROOT,
                                "tokens per forward %s over %d prompts (accepted drafts per loop %s); %s the floor %s",
                                measured == null ? "not measured" : String.format(Locale.ROOT, "%.4f", measured),
                                row.prompts(),
                                row.meanAcceptedPerLoop() == null
                                        ? "-"
                                        : String.format(Locale.ROOT, "%.4f", row.meanAcceptedPerLoop()),
                                passed ? "at least" : "below",
                                floor.getValue()),
                        figures));
            }
        }
        return gates;
    }

    private static List<RowSummary> greedyRows(RunResults results, GateSettings.RowKey key) {
        return results.rows().stream()
                .filter(r -> r.isGreedy() && r.decoder().equals(key.decoder()) && r.k() == key.k())
                .toList();
    }

    /** The HumanEval stage's verdict as a gate; null without the stage. */
    static GateResult humanEval(AccuracyGate gate, List<AccuracyRecord> records) {
        if (gate == null) {
            return null;
        }
        // Informative when some pair of rows can differ: at least one row above 0 and at least one below 1.
        double highest =
                records.stream().mapToDouble(AccuracyRecord::passAt1).max().orElse(0);
        double lowest =
                records.stream().mapToDouble(AccuracyRecord::passAt1).min().orElse(0);
        boolean informative = MeasureDiscrimination.isInformative(highest, lowest);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("margin", gate.margin());
        figures.put("informative", informative);
        for (AccuracyRecord r : records) {
            figures.put("pass@1 " + r.label(), r.passAt1());
        }
        if (!gate.passed()) {
            return new GateResult(
                    "accuracy", "humaneval pass@1", Status.FAILED, String.join("; ", gate.failures()), figures);
        }
        if (!informative) {
            return new GateResult(
                    "accuracy",
                    "humaneval pass@1",
                    Status.NOT_ENFORCED,
                    "uninformative: pass@1 is " + (records.stream().allMatch(r -> r.passAt1() == 0) ? "0" : "0 or 1")
                            + " for every model and decoder, so the comparison cannot tell a worse model from a"
                            + " better one (the line-completion accuracy can)",
                    figures);
        }
        return new GateResult(
                "accuracy",
                "humaneval pass@1",
                Status.PASSED,
                "the SDSAT model's pass@1 is within " + gate.margin() + " of the base model's and every greedy decoder"
                        + " passes the problems plain decoding passes",
                figures);
    }

    /** Line-completion gates: the decoder check, exact match and bits per byte, each with its figures. */
    static List<GateResult> lineCompletion(LineCompletionGate gate) {
        List<GateResult> gates = new ArrayList<>();
        Map<String, Object> decoderFigures = new LinkedHashMap<>();
        decoderFigures.put("decoders", gate.decoders());
        decoderFigures.put("mismatches", gate.decoderMismatches().size());
        gates.add(new GateResult(
                "accuracy",
                "line completion: greedy decoders write ar's line",
                gate.decoderMismatches().isEmpty() ? Status.PASSED : Status.FAILED,
                gate.decoderMismatches().isEmpty()
                        ? "every line of " + String.join(", ", gate.decoders()) + " equals plain decoding's"
                        : gate.failures().stream()
                                .filter(f -> f.startsWith("greedy decoders"))
                                .findFirst()
                                .orElse(gate.decoderMismatches().size() + " lines differ from ar's"),
                decoderFigures));
        LineCompletionModelSummary sdsat = gate.models().get(0);
        if (gate.models().size() < 2) {
            String message = String.format(
                    Locale.ROOT,
                    "not compared: the run names no base model (set sdsat.baseModel to the model the SDSAT model was"
                            + " fine-tuned from); the SDSAT model alone: exact match %.4f, edit similarity %.4f, %.4f"
                            + " bits per byte over %d held-out lines",
                    sdsat.exactMatch(),
                    sdsat.editSimilarity(),
                    sdsat.bitsPerByte(),
                    gate.items());
            Map<String, Object> figures = Map.of("exactMatch", sdsat.exactMatch(), "bitsPerByte", sdsat.bitsPerByte());
            gates.add(new GateResult("accuracy", "line completion exact match", Status.NOT_ENFORCED, message, figures));
            gates.add(
                    new GateResult("accuracy", "line completion bits per byte", Status.NOT_ENFORCED, message, figures));
            return gates;
        }
        PairedDifference em = difference(gate, "exactMatch");
        PairedDifference bpb = difference(gate, "bitsPerByte");
        MeasureDiscrimination emDiscrimination = gate.discrimination().stream()
                .filter(d -> d.measure().endsWith("exactMatch"))
                .findFirst()
                .orElse(MeasureDiscrimination.of("lineCompletion.exactMatch", em.value(), em.baselineValue()));
        Map<String, Object> emFigures = new LinkedHashMap<>();
        emFigures.put("exactMatch", em.value());
        emFigures.put("baseExactMatch", em.baselineValue());
        emFigures.put("difference", em.difference());
        emFigures.put("ciLow", em.ciLow());
        emFigures.put("ciHigh", em.ciHigh());
        emFigures.put("margin", gate.margin());
        emFigures.put("items", gate.items());
        emFigures.put("power", gate.power());
        emFigures.put("degradation", gate.degradation());
        emFigures.put("informative", emDiscrimination.informative());
        String emText = String.format(
                Locale.ROOT,
                "exact match %.4f vs base %.4f, difference %+.4f (paired 95%% interval [%+.4f, %+.4f] over %d held-out"
                        + " lines); margin %.4f; power %.3f against a true drop of %.2f",
                em.value(),
                em.baselineValue(),
                em.difference(),
                em.ciLow(),
                em.ciHigh(),
                gate.items(),
                gate.margin(),
                gate.power(),
                gate.degradation());
        boolean emFails = LineCompletionGate.exactMatchFails(em.difference(), gate.margin());
        Status emStatus =
                !emDiscrimination.informative() ? Status.NOT_ENFORCED : emFails ? Status.FAILED : Status.PASSED;
        gates.add(new GateResult(
                "accuracy",
                "line completion exact match",
                emStatus,
                (emStatus == Status.NOT_ENFORCED
                                ? emDiscrimination.verdict() + ": exact match cannot tell the models apart on these"
                                        + " lines; "
                                : emFails ? "below the margin: " : "")
                        + emText,
                emFigures));
        double relative = bpb.value() / bpb.baselineValue() - 1;
        boolean bpbFails =
                LineCompletionGate.bitsPerByteFails(bpb.value(), bpb.baselineValue(), gate.bitsPerByteMargin());
        Map<String, Object> bpbFigures = new LinkedHashMap<>();
        bpbFigures.put("bitsPerByte", bpb.value());
        bpbFigures.put("baseBitsPerByte", bpb.baselineValue());
        bpbFigures.put("relativeIncrease", relative);
        bpbFigures.put("ciLow", bpb.ciLow());
        bpbFigures.put("ciHigh", bpb.ciHigh());
        bpbFigures.put("margin", gate.bitsPerByteMargin());
        gates.add(new GateResult(
                "accuracy",
                "line completion bits per byte",
                bpbFails ? Status.FAILED : Status.PASSED,
                String.format(
                        Locale.ROOT,
                        "%sheld-out loss %.4f bits per byte vs base %.4f (%+.2f%%; paired 95%% interval of the difference"
                                + " [%+.4f, %+.4f]); margin +%.1f%%",
                        bpbFails ? "above the margin: " : "",
                        bpb.value(),
                        bpb.baselineValue(),
                        100 * relative,
                        bpb.ciLow(),
                        bpb.ciHigh(),
                        100 * gate.bitsPerByteMargin()),
                bpbFigures));
        return gates;
    }

    private static PairedDifference difference(LineCompletionGate gate, String measure) {
        return gate.differences().stream()
                .filter(d -> d.measure().equals(measure))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("line-completion results without the paired " + measure
                        + " difference: written by another version? rerun the stage"));
    }
}
