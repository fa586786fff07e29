package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The page's results tables and the console table show the columns {@link SummaryColumns} declares: the same headers
 * in the same order and, row by row, the same cell text (the console adds the dataset the page gives as a heading).
 * Both outputs are parsed as text, so a template or table that drifts from the declaration fails here.
 */
class SummaryColumnsTest {

    private static final Pattern HEADER = Pattern.compile("<th[^>]*>([^<]*)</th>");
    private static final Pattern ROW = Pattern.compile("<tr(?: class=\"baseline\")?>(<td.*?)</tr>");
    private static final Pattern CELL = Pattern.compile("<td[^>]*>([^<]*)</td>");

    @Test
    void pageAndConsoleShowTheSameHeadersAndCells() {
        checkSame(SampleRuns.runWithEveryColumn());
    }

    @Test
    void greedyOnlyRunsShowNoSamplingColumnInEither() {
        RunResults sample = SampleRuns.run(null, List.of(0, 1));
        RunResults greedy = RunResults.of(
                sample.config(),
                sample.environment(),
                sample.prompts().stream().filter(p -> p.isGreedy()).toList());
        List<String> headers = checkSame(greedy);
        assertThat(headers).doesNotContain("sampling").contains("decoder", "speedup", "identical / prompts");
    }

    @Test
    void theFixtureFillsEveryColumnSomewhere() {
        RunResults run = SampleRuns.runWithEveryColumn();
        for (SummaryColumns.Column column : SummaryColumns.of(true)) {
            assertThat(run.rows())
                    .as(column.header() + " shown on some row")
                    .anyMatch(row -> !column.cell().apply(row).equals(SummaryColumns.ABSENT));
        }
    }

    @Test
    void everyColumnNamesAResultsJsonField() {
        List<String> fields = Arrays.stream(RowSummary.class.getRecordComponents())
                .map(RecordComponent::getName)
                .toList();
        Stream.concat(Stream.of(SummaryColumns.DATASET), SummaryColumns.of(true).stream())
                .forEach(column -> assertThat(fields).as(column.header()).contains(column.field()));
    }

    /** Asserts the page and the console table agree on the run; returns the page's headers. */
    private static List<String> checkSame(RunResults run) {
        String page = HtmlReport.render(run, List.of(), "run");
        String results = page.substring(page.indexOf("<h2>Results</h2>"), page.indexOf("<h2 id=\"equivalence\">"));
        List<String> pageHeaders = matches(HEADER, results.substring(0, results.indexOf("</thead>")));
        List<List<String>> pageRows = new ArrayList<>();
        Matcher row = ROW.matcher(results);
        while (row.find()) {
            pageRows.add(matches(CELL, row.group(1)));
        }

        List<String> console = SummaryTable.format(run.rows()).lines().toList();
        List<String> consoleHeaders = cells(console.get(0));
        assertThat(consoleHeaders.get(0)).isEqualTo("dataset");
        assertThat(consoleHeaders.subList(1, consoleHeaders.size())).isEqualTo(pageHeaders);
        List<String> expectedHeaders = new ArrayList<>();
        SummaryColumns.of(SummaryColumns.showSampling(run.rows())).forEach(c -> expectedHeaders.add(c.header()));
        assertThat(pageHeaders).isEqualTo(expectedHeaders);

        List<String> consoleRows = console.subList(2, console.size());
        assertThat(pageRows).hasSize(run.rows().size()).hasSameSizeAs(consoleRows);
        for (int r = 0; r < pageRows.size(); r++) {
            List<String> consoleCells = cells(consoleRows.get(r));
            assertThat(consoleCells.get(0)).isEqualTo(run.rows().get(r).dataset());
            assertThat(consoleCells.subList(1, consoleCells.size()))
                    .as("row " + r)
                    .isEqualTo(pageRows.get(r));
        }
        return pageHeaders;
    }

    private static List<String> matches(Pattern pattern, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** A console line's cells: the table puts two spaces or more between cells, and at most one inside one. */
    private static List<String> cells(String line) {
        return Arrays.asList(line.trim().split(" {2,}"));
    }
}
