package io.github.sdsat.gate;

import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GateResult.Status;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
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
 *       discriminate and is reported as uninformative ({@link Status#NOT_ENFORCED}), never as a pass.
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
                double[][][] timings = pairedTimings(results, row);
                String name = row.dataset() + " " + row.decoder() + " k=" + row.k() + " >= " + floor.getValue() + "x";
                if (timings[0].length < 2) {
                    gates.add(new GateResult(
                            "minSpeedup",
                            name,
                            Status.FAILED,
                            "the speedup's lower bound needs at least 2 prompts measured by both the baseline and the"
                                    + " row, found " + timings[0].length + ": raise sdsat.dataLimit",
                            Map.of("floor", floor.getValue(), "prompts", timings[0].length)));
                    continue;
                }
                SpeedupInterval interval = SpeedupInterval.bootstrap(
                        timings[0], timings[1], GateSettings.FLOOR_CONFIDENCE, GateSettings.BOOTSTRAP_SEED);
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

    /** [0]: per shared prompt the baseline's greedy time; [1]: the row's; one timing each, same prompt order. */
    private static double[][][] pairedTimings(RunResults results, RowSummary row) {
        Map<String, Double> baseline = new LinkedHashMap<>();
        Map<String, Double> method = new LinkedHashMap<>();
        for (PromptRecord r : results.prompts()) {
            if (!r.dataset().equals(row.dataset()) || r.temperature() != 0.0 || r.sampling() != null) {
                continue;
            }
            if (r.isBaseline()) {
                baseline.put(r.taskId(), r.timeMs());
            } else if (r.decoder().equals(row.decoder()) && r.k() == row.k()) {
                method.put(r.taskId(), r.timeMs());
            }
        }
        List<double[]> base = new ArrayList<>();
        List<double[]> mine = new ArrayList<>();
        method.forEach((task, ms) -> {
            if (baseline.containsKey(task)) {
                base.add(new double[] {baseline.get(task)});
                mine.add(new double[] {ms});
            }
        });
        return new double[][][] {base.toArray(double[][]::new), mine.toArray(double[][]::new)};
    }

    /** The HumanEval stage's verdict as a gate; null without the stage. */
    static GateResult humanEval(AccuracyGate gate, List<AccuracyRecord> records) {
        if (gate == null) {
            return null;
        }
        boolean informative = records.stream().anyMatch(r -> r.passAt1() > 0 && r.passAt1() < 1);
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
}
