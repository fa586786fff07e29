package io.github.sdsat.bench;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The Markdown tables of the benchmark reports, each column declared once (title and cell): the header, a separator
 * with one cell per column, then one line per row, numbers formatted in {@link Locale#ROOT}.
 */
final class MarkdownTable {
    private MarkdownTable() {}

    /** One column: its title and how a row's cell reads. */
    record Column<R>(String title, Function<R, String> cell) {}

    /** A column whose cell is one value of the row in {@code format} (e.g. {@code "%.2f"}). */
    static <R> Column<R> column(String title, String format, Function<R, Object> value) {
        return new Column<>(title, row -> String.format(Locale.ROOT, format, value.apply(row)));
    }

    /** Appends the table: {@code | a | b |}, {@code |---|---|}, then {@code | cell | cell |} per row. */
    @SafeVarargs
    static <R> void write(StringBuilder out, List<R> rows, Column<R>... columns) {
        out.append("| ");
        for (int c = 0; c < columns.length; c++) {
            out.append(c == 0 ? "" : " | ").append(columns[c].title());
        }
        out.append(" |\n|").append("---|".repeat(columns.length)).append('\n');
        for (R row : rows) {
            out.append("| ");
            for (int c = 0; c < columns.length; c++) {
                out.append(c == 0 ? "" : " | ").append(columns[c].cell().apply(row));
            }
            out.append(" |").append(System.lineSeparator());
        }
    }
}
