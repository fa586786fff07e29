package io.github.sdsat.accuracy;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.results.AccuracyComparison;
import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The accuracy stage's verdict from its rows' outcomes: the paired differences of per-problem pass rates with their
 * normal 95% intervals, greedy decoders held to plain decoding's completions, and the SDSAT model's greedy pass@1
 * held within the margin of the base model's ({@link AccuracyGate}).
 */
final class AccuracyVerdict {
    /** Two-sided 95% normal quantile of the confidence intervals. */
    static final double Z_95 = 1.959964;

    private AccuracyVerdict() {}

    /**
     * One row's record, per-problem passing counts (for the paired comparisons) and, for greedy rows, the completions
     * (greedy decoders must write exactly plain decoding's text, whether it passes or not).
     */
    record RowOutcome(AccuracyRecord record, int[] passes, List<String> greedyCompletions) {}

    /**
     * The comparisons and the verdict: each greedy SDSAT decoder against the SDSAT model's {@code ar} (must pass the
     * same problems); the SDSAT model's {@code ar} against the base model's at each temperature (greedy: pass@1 not
     * lower by more than the margin; sampled rows are reported, not gated).
     *
     * @param margin {@code sdsat.accuracyMargin}
     * @param problems the problems, in the order of every outcome's per-problem arrays
     * @param sandbox the sandbox the programs ran in (described in the verdict), null when none ran
     */
    static AccuracyGate of(
            double margin, List<HumanEval.Problem> problems, PythonSandbox sandbox, List<RowOutcome> outcomes) {
        List<AccuracyComparison> comparisons = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (RowOutcome outcome : outcomes) {
            AccuracyRecord record = outcome.record();
            if (record.decoder().equals(AutoregressiveDecoder.NAME)) {
                continue;
            }
            RowOutcome ar = find(outcomes, record.model(), AutoregressiveDecoder.NAME, record.temperature());
            if (ar == null) {
                continue;
            }
            AccuracyComparison comparison = compare(outcome, ar);
            comparisons.add(comparison);
            if (record.isGreedy() && (comparison.better() > 0 || comparison.worse() > 0)) {
                failures.add(String.format(
                        Locale.ROOT,
                        "greedy %s passes %d problems (pass@1 %.4f) but %s passes"
                                + " %d (pass@1 %.4f): greedy decoders must produce plain decoding's output, so they must"
                                + " pass the same problems (%d passed only with %s, %d only with %s)",
                        record.label(),
                        record.passed(),
                        record.passAt1(),
                        ar.record().label(),
                        ar.record().passed(),
                        ar.record().passAt1(),
                        comparison.better(),
                        record.decoder(),
                        comparison.worse(),
                        AutoregressiveDecoder.NAME));
            }
            if (record.isGreedy() && outcome.greedyCompletions() != null && ar.greedyCompletions() != null) {
                List<String> differing = new ArrayList<>();
                for (int p = 0; p < problems.size(); p++) {
                    if (!outcome.greedyCompletions()
                            .get(p)
                            .equals(ar.greedyCompletions().get(p))) {
                        differing.add(problems.get(p).taskId());
                    }
                }
                if (!differing.isEmpty()) {
                    failures.add("greedy " + record.label() + " wrote a completion different from "
                            + ar.record().label() + "'s on " + differing.size() + " problems ("
                            + String.join(", ", differing.subList(0, Math.min(5, differing.size())))
                            + (differing.size() > 5 ? ", ..." : "")
                            + "): greedy decoders must produce plain decoding's output");
                }
            }
        }
        for (RowOutcome outcome : outcomes) {
            AccuracyRecord record = outcome.record();
            if (!record.model().equals(AccuracyStage.SDSAT_MODEL)
                    || !record.decoder().equals(AutoregressiveDecoder.NAME)) {
                continue;
            }
            RowOutcome base =
                    find(outcomes, AccuracyStage.BASE_MODEL, AutoregressiveDecoder.NAME, record.temperature());
            if (base == null) {
                continue;
            }
            AccuracyComparison comparison = compare(outcome, base);
            comparisons.add(comparison);
            if (record.isGreedy() && comparison.difference() < -margin - 1e-12) {
                failures.add(String.format(
                        Locale.ROOT,
                        "the SDSAT model's greedy pass@1 %.4f is %.4f below the"
                                + " base model's %.4f (95%% CI of the difference [%.4f, %.4f] over %d problems), more than"
                                + " the margin %.4f (sdsat.accuracyMargin)",
                        comparison.passAt1(),
                        -comparison.difference(),
                        comparison.baselinePassAt1(),
                        comparison.ciLow(),
                        comparison.ciHigh(),
                        comparison.problems(),
                        margin));
            }
        }
        return new AccuracyGate(
                margin, failures.isEmpty(), failures, comparisons, sandbox == null ? Map.of() : sandbox.describe());
    }

    private static RowOutcome find(List<RowOutcome> outcomes, String model, String decoder, double temperature) {
        return outcomes.stream()
                .filter(o -> o.record().model().equals(model)
                        && o.record().decoder().equals(decoder)
                        && o.record().temperature() == temperature)
                .findFirst()
                .orElse(null);
    }

    /** The paired difference of the per-problem pass rates of {@code row} and {@code baseline}. */
    static AccuracyComparison compare(RowOutcome row, RowOutcome baseline) {
        int n = row.passes().length;
        double[] differences = new double[n];
        int better = 0;
        int worse = 0;
        double sum = 0;
        for (int p = 0; p < n; p++) {
            double a = (double) row.passes()[p] / row.record().samples();
            double b = (double) baseline.passes()[p] / baseline.record().samples();
            differences[p] = a - b;
            sum += differences[p];
            better += a > b ? 1 : 0;
            worse += a < b ? 1 : 0;
        }
        double mean = sum / n;
        double squares = 0;
        for (double d : differences) {
            squares += (d - mean) * (d - mean);
        }
        double standardError = n > 1 ? Math.sqrt(squares / (n - 1) / n) : 0.0;
        return new AccuracyComparison(
                row.record().label(),
                baseline.record().label(),
                n,
                row.record().passAt1(),
                baseline.record().passAt1(),
                mean,
                mean - Z_95 * standardError,
                mean + Z_95 * standardError,
                better,
                worse);
    }
}
