package io.github.sdsat.report;

import io.github.sdsat.results.LineCompletionGate;
import io.github.sdsat.results.LineCompletionMismatch;
import io.github.sdsat.results.LineCompletionModelSummary;
import io.github.sdsat.results.MeasureDiscrimination;
import io.github.sdsat.results.PairedDifference;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's line-completion section ({@code index.mustache}, {@code hasLineCompletion}): per model exact match,
 * edit similarity and bits per byte with their 95% intervals, the paired differences, which measures can
 * discriminate, the gate's power and the decoder check. Every number is formatted from {@code results.json}'s
 * {@code lineCompletionGate}.
 */
final class LineCompletionSection {
    /** Decoder mismatches listed in the page; all are in results.json. */
    static final int LISTED_MISMATCHES = 10;

    private LineCompletionSection() {}

    static void put(Map<String, Object> scope, RunResults results) {
        LineCompletionGate gate = results.lineCompletionGate();
        scope.put("hasLineCompletion", gate != null);
        if (gate == null) {
            return;
        }
        List<Map<String, Object>> models = new ArrayList<>();
        for (LineCompletionModelSummary m : gate.models()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", m.model());
            row.put("items", m.items());
            row.put("exactMatch", f4(m.exactMatch()));
            row.put("exactMatchCi", "[" + f4(m.exactMatchCiLow()) + ", " + f4(m.exactMatchCiHigh()) + "]");
            row.put("editSimilarity", f4(m.editSimilarity()));
            row.put("editSimilarityCi", "[" + f4(m.editSimilarityCiLow()) + ", " + f4(m.editSimilarityCiHigh()) + "]");
            row.put("bitsPerByte", f4(m.bitsPerByte()));
            row.put("bitsPerByteCi", "[" + f4(m.bitsPerByteCiLow()) + ", " + f4(m.bitsPerByteCiHigh()) + "]");
            models.add(row);
        }
        scope.put("lineModels", models);
        List<Map<String, Object>> differences = new ArrayList<>();
        for (PairedDifference d : gate.differences()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("measure", d.measure());
            row.put("value", f4(d.value()));
            row.put("baselineValue", f4(d.baselineValue()));
            row.put("difference", String.format(Locale.ROOT, "%+.4f", d.difference()));
            row.put("ci", String.format(Locale.ROOT, "[%+.4f, %+.4f]", d.ciLow(), d.ciHigh()));
            row.put("better", d.better());
            row.put("worse", d.worse());
            row.put("discrimination", discrimination(gate, d.measure()));
            differences.add(row);
        }
        scope.put("lineDifferences", differences);
        scope.put("hasLineDifferences", !differences.isEmpty());
        scope.put("linePassed", gate.passed());
        scope.put("lineFailures", gate.failures());
        scope.put("lineItems", gate.items());
        scope.put("lineMargin", gate.margin());
        scope.put("lineBitsPerByteMargin", String.format(Locale.ROOT, "%.1f%%", 100 * gate.bitsPerByteMargin()));
        scope.put("lineRule", gate.rule());
        scope.put("lineDecoders", String.join(", ", gate.decoders()));
        scope.put(
                "linePower",
                gate.powerResamples() == 0
                        ? null
                        : String.format(
                                Locale.ROOT,
                                "%.3f against a true exact-match drop of %.2f (%d simulated runs)",
                                gate.power(),
                                gate.degradation(),
                                gate.powerResamples()));
        scope.put("lineNoBase", gate.models().size() < 2);
        List<Map<String, Object>> mismatches = new ArrayList<>();
        for (LineCompletionMismatch m :
                gate.decoderMismatches().stream().limit(LISTED_MISMATCHES).toList()) {
            mismatches.add(Map.of(
                    "id",
                    m.id(),
                    "decoder",
                    m.decoder(),
                    "k",
                    m.k(),
                    "predicted",
                    m.predicted(),
                    "ar",
                    m.arPredicted()));
        }
        scope.put("lineMismatches", mismatches);
        scope.put("hasLineMismatches", !mismatches.isEmpty());
    }

    /** The discrimination verdict of a measure, or "-" for one without (bits per byte always discriminates). */
    private static String discrimination(LineCompletionGate gate, String measure) {
        return gate.discrimination().stream()
                .filter(d -> d.measure().endsWith("." + measure))
                .map(MeasureDiscrimination::verdict)
                .findFirst()
                .orElse("informative");
    }

    private static String f4(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
