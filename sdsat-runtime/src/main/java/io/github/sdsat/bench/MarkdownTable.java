package io.github.sdsat.bench;

import java.util.Locale;

/** The Markdown tables of the benchmark reports: a header whose separator has one cell per column, rows in ROOT. */
final class MarkdownTable {
    private MarkdownTable() {}

    /** {@code | a | b |} and {@code |---|---|}, each ending in a newline. */
    static String header(String... columns) {
        return "| " + String.join(" | ", columns) + " |\n" + "|" + "---|".repeat(columns.length) + "\n";
    }

    /**
     * One row: {@code cellFormats} (e.g. {@code "%d | %.2f"}) filled with {@code values} in {@link Locale#ROOT},
     * between the outer bars, ending in a line separator.
     */
    static String row(String cellFormats, Object... values) {
        return String.format(Locale.ROOT, "| " + cellFormats + " |%n", values);
    }
}
