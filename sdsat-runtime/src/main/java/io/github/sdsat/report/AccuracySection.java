package io.github.sdsat.report;

import io.github.sdsat.results.AccuracyComparison;
import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's HumanEval accuracy section ({@code index.mustache}, {@code hasAccuracy}): pass@1 and pass@k per model
 * and decoder, the paired differences over problems with their 95% intervals, the gate's verdict and the sandbox.
 * Every number is formatted from {@code results.json}'s {@code accuracy} and {@code accuracyGate}.
 */
final class AccuracySection {

    private AccuracySection() {}

    static void put(Map<String, Object> scope, RunResults results) {
        scope.put("hasAccuracy", !results.accuracy().isEmpty());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (AccuracyRecord record : results.accuracy()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", record.model());
            row.put("decoder", record.decoder());
            row.put("k", record.k());
            row.put("temperature", record.temperature());
            row.put("samples", record.samples());
            row.put("problems", record.problems());
            row.put("passed", record.passed());
            row.put("passAt1", String.format(Locale.ROOT, "%.4f", record.passAt1()));
            List<String> passAtK = new ArrayList<>();
            record.passAtK().forEach((k, value) -> passAtK.add(String.format(Locale.ROOT, "@%d %.4f", k, value)));
            row.put("passAtK", String.join(", ", passAtK));
            rows.add(row);
        }
        scope.put("accuracyRows", rows);
        AccuracyGate gate = results.accuracyGate();
        List<Map<String, Object>> comparisons = new ArrayList<>();
        if (gate != null) {
            for (AccuracyComparison comparison : gate.comparisons()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("row", comparison.row());
                row.put("baseline", comparison.baseline());
                row.put("problems", comparison.problems());
                row.put("passAt1", String.format(Locale.ROOT, "%.4f", comparison.passAt1()));
                row.put("baselinePassAt1", String.format(Locale.ROOT, "%.4f", comparison.baselinePassAt1()));
                row.put("difference", String.format(Locale.ROOT, "%+.4f", comparison.difference()));
                row.put("ciLow", String.format(Locale.ROOT, "%+.4f", comparison.ciLow()));
                row.put("ciHigh", String.format(Locale.ROOT, "%+.4f", comparison.ciHigh()));
                row.put("better", comparison.better());
                row.put("worse", comparison.worse());
                comparisons.add(row);
            }
            scope.put("accuracyPassed", gate.passed());
            scope.put("accuracyFailures", gate.failures());
            scope.put("accuracyMargin", gate.margin());
            scope.put(
                    "accuracySandbox",
                    gate.sandbox().entrySet().stream()
                            .map(e -> e.getKey() + ": " + e.getValue())
                            .reduce((a, b) -> a + "; " + b)
                            .orElse("not recorded"));
        }
        scope.put("accuracyComparisons", comparisons);
        scope.put("hasAccuracyComparisons", !comparisons.isEmpty());
    }
}
