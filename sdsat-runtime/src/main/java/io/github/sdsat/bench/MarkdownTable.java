package io.github.sdsat.bench;

import java.util.Locale;

/** The Markdown tables of the benchmark reports: a header whose separator has one cell per column, rows in ROOT. */
final class MarkdownTable {
    private MarkdownTable() {}

    /** Appends {@code | a | b |} and {@code |---|---|}, each ending in a newline. */
    static void header(StringBuilder out, String... columns) {
        out.append("| ").append(String.join(" | ", columns)).append(" |\n");
        out.append("|").append("---|".repeat(columns.length)).append('\n');
    }

    /**
     * Appends one row: {@code cellFormats} (e.g. {@code "%d | %.2f"}) filled with {@code values} in
     * {@link Locale#ROOT}, between the outer bars, ending in a line separator.
     */
    static void row(StringBuilder out, String cellFormats, Object... values) {
        out.append(String.format(Locale.ROOT, "| " + cellFormats + " |%n", values));
    }
}
