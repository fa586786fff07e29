package io.github.sdsat.report;

import io.github.sdsat.results.AccuracyComparison;
import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The summary rows as a fixed-width text table, for build logs. */
public final class SummaryTable {

    private SummaryTable() {}

    /**
     * One header line, one rule line and one line per row; the page's columns ({@link SummaryColumns}) with the same
     * headers and cells, after the dataset; columns padded to their widest cell.
     */
    public static String format(List<RowSummary> rows) {
        List<SummaryColumns.Column> columns = new ArrayList<>();
        columns.add(SummaryColumns.DATASET);
        columns.addAll(SummaryColumns.of(SummaryColumns.showSampling(rows)));
        List<String[]> lines = new ArrayList<>();
        lines.add(columns.stream().map(SummaryColumns.Column::header).toArray(String[]::new));
        for (RowSummary row : rows) {
            lines.add(columns.stream().map(column -> column.cell().apply(row)).toArray(String[]::new));
        }
        int[] widths = new int[columns.size()];
        for (String[] line : lines) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int n = 0; n < lines.size(); n++) {
            String[] line = lines.get(n);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                if (i > 0) {
                    text.append("  ");
                }
                // Names read best left-aligned, numbers right-aligned.
                String format = "%" + (columns.get(i).numeric() ? "" : "-") + widths[i] + "s";
                text.append(String.format(Locale.ROOT, format, line[i]));
            }
            out.append(text.toString().stripTrailing()).append('\n');
            if (n == 0) {
                out.append("-".repeat(text.length())).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * The accuracy stage as text: one line per model and decoder (pass@1, passed / problems), the paired differences
     * with their 95% confidence intervals, and the gate's verdict.
     */
    public static String formatAccuracy(RunResults results) {
        StringBuilder text = new StringBuilder();
        for (AccuracyRecord record : results.accuracy()) {
            text.append(String.format(
                    Locale.ROOT,
                    "  %-34s pass@1 %.4f  (%d/%d passed%s)%n",
                    record.label(),
                    record.passAt1(),
                    record.passed(),
                    record.problems() * record.samples(),
                    record.samples() > 1 ? ", n = " + record.samples() + ", pass@k " + record.passAtK() : ""));
        }
        AccuracyGate gate = results.accuracyGate();
        if (gate != null) {
            for (AccuracyComparison c : gate.comparisons()) {
                text.append(String.format(
                        Locale.ROOT,
                        "  %s vs %s: %+.4f, 95%% CI [%+.4f, %+.4f] over %d problems" + " (%d better, %d worse)%n",
                        c.row(),
                        c.baseline(),
                        c.difference(),
                        c.ciLow(),
                        c.ciHigh(),
                        c.problems(),
                        c.better(),
                        c.worse()));
            }
            text.append(
                    gate.passed()
                            ? "  Accuracy gate passed (margin " + gate.margin() + ")"
                            : "  Accuracy gate FAILED: " + String.join("; ", gate.failures()));
            Object isolation = gate.sandbox().get("isolation");
            if (isolation != null) {
                text.append(System.lineSeparator())
                        .append("  Sandbox isolation: ")
                        .append(isolation);
            }
        }
        return text.toString();
    }

    /** The line-completion stage in a few lines: per model EM, ES and bits per byte, the paired differences. */
    public static String formatLineCompletion(RunResults results) {
        io.github.sdsat.results.LineCompletionGate gate = results.lineCompletionGate();
        if (gate == null) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        for (io.github.sdsat.results.LineCompletionModelSummary m : gate.models()) {
            text.append(String.format(
                    Locale.ROOT,
                    "  %-6s exact match %.4f [%.4f, %.4f]  edit similarity %.4f  bits/byte %.4f  (%d lines)%n",
                    m.model(),
                    m.exactMatch(),
                    m.exactMatchCiLow(),
                    m.exactMatchCiHigh(),
                    m.editSimilarity(),
                    m.bitsPerByte(),
                    m.items()));
        }
        for (io.github.sdsat.results.PairedDifference d : gate.differences()) {
            text.append(String.format(
                    Locale.ROOT,
                    "  %s sdsat - base: %+.4f, 95%% CI [%+.4f, %+.4f]%n",
                    d.measure(),
                    d.difference(),
                    d.ciLow(),
                    d.ciHigh()));
        }
        if (gate.powerResamples() > 0) {
            text.append(String.format(
                    Locale.ROOT,
                    "  power against a true exact-match drop of %.2f: %.3f%n",
                    gate.degradation(),
                    gate.power()));
        }
        text.append("  decoders checked against ar: ").append(String.join(", ", gate.decoders()));
        return text.toString();
    }
}
