package io.github.sdsat.report;

import io.github.sdsat.results.RowSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The columns of the results table, declared once: {@code index.html} (through {@code index.mustache}, which loops
 * over the headers and cells given here) and the console table ({@link SummaryTable}) iterate the same list, so a
 * column added, renamed or formatted differently changes both. Every cell is formatted from one {@link RowSummary};
 * the denominators are stated in {@link io.github.sdsat.results.Aggregator#summarise}.
 */
public final class SummaryColumns {

    /** Shown for an absent value (no baseline, nothing drafted, not measured). */
    public static final String ABSENT = "–";

    /**
     * One column.
     *
     * @param header the header text
     * @param tooltip the header's explanation shown on hover in the page, null for none
     * @param field the {@code results.json} row field the column shows ({@link RowSummary} component)
     * @param numeric whether the cells are numbers (right-aligned in both tables)
     * @param cell the cell text of a row
     * @param emphasis the page's extra CSS class of a row's cell ({@code faster}, {@code slower}, {@code differs}),
     *     null for none
     */
    public record Column(
            String header,
            String tooltip,
            String field,
            boolean numeric,
            Function<RowSummary, String> cell,
            Function<RowSummary, String> emphasis) {}

    /** The dataset: a column of the console table; the page has one table per dataset instead. */
    public static final Column DATASET = text("dataset", "dataset", RowSummary::dataset);

    private static final Column SAMPLING =
            text("sampling", "sampling", row -> row.sampling() == null ? ABSENT : row.sampling());

    private static final String CEILING_TOOLTIP = "the speedup a zero-overhead loop would get from this run's cost"
            + " curve and the row's passes; in brackets the share of it that was measured";

    private SummaryColumns() {}

    /**
     * The columns of a dataset's table after the dataset, in order; {@code sampling} only when a row of the run
     * samples (greedy runs have nothing to show there).
     */
    public static List<Column> of(boolean showSampling) {
        List<Column> columns = new ArrayList<>();
        columns.add(text("decoder", "decoder", RowSummary::decoder));
        columns.add(number("T", "temperature", row -> Charts.formatTemperature(row.temperature())));
        columns.add(number("k", "k", row -> row.isBaseline() ? ABSENT : Integer.toString(row.k())));
        if (showSampling) {
            columns.add(SAMPLING);
        }
        columns.add(number("prompts", "prompts", row -> Integer.toString(row.prompts())));
        columns.add(number("mean time (ms)", "meanTimeMs", row -> fixed(row.meanTimeMs(), "%,.1f")));
        columns.add(number("median (ms)", "medianTimeMs", row -> fixed(row.medianTimeMs(), "%,.1f")));
        columns.add(new Column(
                "speedup",
                null,
                "speedup",
                true,
                row -> row.speedup() == null ? ABSENT : fixed(row.speedup(), "%.2f×"),
                SummaryColumns::speedupEmphasis));
        columns.add(
                new Column("ceiling", CEILING_TOOLTIP, "ceilingSpeedup", true, SummaryColumns::ceiling, row -> null));
        columns.add(number("tokens/s", "tokensPerSecond", row -> fixed(row.tokensPerSecond(), "%,.1f")));
        columns.add(number("tokens / forward", "tokensPerForward", row -> optional(row.tokensPerForward(), "%.2f")));
        columns.add(number("acceptance", "acceptRate", row -> percent(row.acceptRate())));
        columns.add(
                number("accepted / loop", "meanAcceptedPerLoop", row -> optional(row.meanAcceptedPerLoop(), "%.2f")));
        columns.add(number("copied", "repeatedAcceptedShare", row -> percent(row.repeatedAcceptedShare())));
        columns.add(new Column(
                "identical / prompts",
                null,
                "identicalToBaseline",
                true,
                row -> row.identicalToBaseline() == null
                        ? "n/a (sampling)"
                        : row.identicalToBaseline() + " / " + row.prompts(),
                row -> row.identicalToBaseline() != null && row.identicalToBaseline() < row.prompts()
                        ? "differs"
                        : null));
        return List.copyOf(columns);
    }

    /** Whether the sampling column is shown for these rows: when any of them samples. */
    public static boolean showSampling(List<RowSummary> rows) {
        return rows.stream().anyMatch(row -> row.sampling() != null);
    }

    private static String speedupEmphasis(RowSummary row) {
        if (row.speedup() == null) {
            return null;
        }
        if (row.speedup() > 1.0 && !row.isBaseline()) {
            return "faster";
        }
        return row.speedup() < 1.0 ? "slower" : null;
    }

    /** The ceiling and, for a decoder row, the share of it the row reached; the baseline's share says nothing. */
    private static String ceiling(RowSummary row) {
        if (row.ceilingSpeedup() == null) {
            return ABSENT;
        }
        String ceiling = fixed(row.ceilingSpeedup(), "%.2f×");
        return row.shareOfCeiling() == null || row.isBaseline()
                ? ceiling
                : ceiling + fixed(100 * row.shareOfCeiling(), " (%.0f %%)");
    }

    private static Column text(String header, String field, Function<RowSummary, String> cell) {
        return new Column(header, null, field, false, cell, row -> null);
    }

    private static Column number(String header, String field, Function<RowSummary, String> cell) {
        return new Column(header, null, field, true, cell, row -> null);
    }

    private static String fixed(double value, String format) {
        return String.format(Locale.ROOT, format, value);
    }

    private static String optional(Double value, String format) {
        return value == null ? ABSENT : fixed(value, format);
    }

    private static String percent(Double share) {
        return share == null ? ABSENT : fixed(100 * share, "%.1f %%");
    }
}
