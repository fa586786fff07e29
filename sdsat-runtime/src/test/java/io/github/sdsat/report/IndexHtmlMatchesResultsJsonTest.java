package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every number of index.html's results tables equals the same row's number in results.json, to the digits the page
 * shows: both files as written by {@link ResultFiles#write}, the JSON read as a plain tree (not through the records
 * the page was rendered from) and the page parsed as text. The check itself fails on a page whose numbers disagree
 * with the JSON by 3% in one cell.
 */
class IndexHtmlMatchesResultsJsonTest {
    @TempDir
    Path dir;

    /** The results table's columns after decoder, T, k (and sampling when shown), and the JSON field of each. */
    private static final String[] COLUMNS = {
        "prompts",
        "meanTimeMs",
        "medianTimeMs",
        "speedup",
        "ceilingSpeedup",
        "tokensPerSecond",
        "tokensPerForward",
        "acceptRate",
        "meanAcceptedPerLoop",
        "repeatedAcceptedShare",
        "identicalToBaseline"
    };

    private static final Pattern ROW = Pattern.compile("<tr(?: class=\"baseline\")?><td>([^<]*)</td>(.*?)</tr>");
    private static final Pattern CELL = Pattern.compile("<td[^>]*>([^<]*)</td>");

    @Test
    void everyTableNumberEqualsTheJson() throws IOException {
        Path run = dir.resolve("run");
        ResultFiles.write(run, SampleRuns.run(null, List.of(0, 1, 2, 3, 5, 8)));
        String html = Files.readString(run.resolve(ResultFiles.INDEX_HTML));
        JsonNode json = ResultFiles.mapper()
                .readTree(run.resolve(ResultFiles.RESULTS_JSON).toFile());
        assertThat(json.get("rows").size()).as("sample rows").isGreaterThanOrEqualTo(3);
        int cells = check(html, json);
        assertThat(cells)
                .as("numbers compared")
                .isGreaterThanOrEqualTo(6 * json.get("rows").size());
    }

    @Test
    void aPageThatDisagreesWithTheJsonFailsTheCheck() throws IOException {
        Path run = dir.resolve("run");
        ResultFiles.write(run, SampleRuns.run(null, List.of(0, 1, 2, 3)));
        String html = Files.readString(run.resolve(ResultFiles.INDEX_HTML));
        JsonNode json = ResultFiles.mapper()
                .readTree(run.resolve(ResultFiles.RESULTS_JSON).toFile());
        ObjectNode row = (ObjectNode) json.get("rows").get(1);
        row.put("meanTimeMs", row.get("meanTimeMs").asDouble() * 1.03);
        assertThatThrownBy(() -> check(html, json))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("meanTimeMs");
    }

    /** Compares the results tables and the header's prompt count with the JSON; returns the cells compared. */
    static int check(String html, JsonNode json) {
        Matcher header = Pattern.compile("<span>(\\d+) prompt runs</span>").matcher(html);
        assertThat(header.find()).as("prompt count in the header").isTrue();
        assertThat(Integer.parseInt(header.group(1)))
                .as("prompt runs in the header")
                .isEqualTo(json.get("prompts").size());
        boolean sampling = html.contains("<th>sampling</th>");
        int results = html.indexOf("<h2>Results</h2>");
        int end = html.indexOf("<h2 id=\"equivalence\">");
        String tables = html.substring(results, end);
        List<List<String>> rows = new ArrayList<>();
        Matcher m = ROW.matcher(tables);
        while (m.find()) {
            List<String> cells = new ArrayList<>();
            cells.add(m.group(1));
            Matcher c = CELL.matcher(m.group(2));
            while (c.find()) {
                cells.add(c.group(1));
            }
            rows.add(cells);
        }
        JsonNode jsonRows = json.get("rows");
        assertThat(rows).as("rows of the results tables").hasSize(jsonRows.size());
        int compared = 0;
        for (int r = 0; r < rows.size(); r++) {
            List<String> cells = rows.get(r);
            JsonNode row = jsonRows.get(r);
            String where = "row " + r + " (" + row.get("decoder").asText() + " k=" + row.get("k") + ")";
            assertThat(cells.get(0))
                    .as(where + ": decoder")
                    .isEqualTo(row.get("decoder").asText());
            int first = sampling ? 4 : 3;
            for (int col = 0; col < COLUMNS.length; col++) {
                String field = COLUMNS[col];
                String shown = cells.get(first + col);
                JsonNode value = row.get(field);
                if (value == null || value.isNull()) {
                    if (!field.equals("identicalToBaseline")) {
                        assertThat(shown)
                                .as(where + ": " + field + " absent in results.json")
                                .isEqualTo("–");
                    }
                    continue;
                }
                double expected = value.asDouble();
                if (field.equals("identicalToBaseline")) {
                    assertThat(shown)
                            .as(where + ": " + field)
                            .isEqualTo(
                                    value.asInt() + " / " + row.get("prompts").asInt());
                    compared++;
                    continue;
                }
                boolean percent = shown.endsWith("%");
                String number =
                        shown.replace("×", "").replace("%", "").replace(",", "").trim();
                if (field.equals("ceilingSpeedup") && number.contains("(")) {
                    number = number.substring(0, number.indexOf('(')).trim(); // the share of the ceiling follows
                }
                double got = Double.parseDouble(number);
                if (percent) {
                    got /= 100;
                }
                int decimals = number.contains(".") ? number.length() - number.indexOf('.') - 1 : 0;
                double halfUnit = 0.5 * Math.pow(10, -decimals) / (percent ? 100 : 1);
                if (Math.abs(got - expected) > halfUnit * 1.0001) {
                    throw new AssertionError(where + ": index.html shows " + shown + " for " + field
                            + ", results.json holds " + expected);
                }
                compared++;
            }
        }
        return compared;
    }
}
