package io.github.sdsat.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.SpeedupInterval;
import java.io.StringWriter;
import java.lang.reflect.RecordComponent;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The run's {@code index.html}, from the mustache template {@code io/github/sdsat/report/index.mustache}: the
 * question, an answer per dataset, the summary table in the paper's layout, the charts, the equivalence of
 * outputs, the configuration and the environment. Self-contained: inline CSS, no scripts, no external
 * resources; the charts are the PNG files next to it.
 */
public final class HtmlReport {

    /** The question every run answers. */
    public static final String QUESTION =
            "Does SDSAT decode faster than greedy autoregressive decoding on this model, with identical output?";

    /** Differing prompts listed in the page; the rest are in prompts.csv. */
    static final int MAX_LISTED_DIFFERENCES = 200;

    private static final String TEMPLATE = "io/github/sdsat/report/index.mustache";

    private HtmlReport() {}

    /** Renders the page of a run whose charts were written under their {@code fileName}s next to it. */
    public static String render(RunResults results, List<Charts.ChartImage> charts, String runName) {
        Map<String, Object> scope = new LinkedHashMap<>();
        Object runId = results.config().get("runId");
        String name = runId == null ? runName : runId.toString();
        scope.put("title", "SDSAT run " + name);
        scope.put("question", QUESTION);
        scope.put(
                "generated",
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
        Environment environment = results.environment();
        scope.put("model", environment.modelPath() == null ? "(not recorded)" : environment.modelPath());
        scope.put(
                "device",
                environment.device() == null
                        ? "(not recorded)"
                        : environment.device() + (environment.gpu() == null ? "" : " — " + environment.gpu()));
        scope.put("dtype", environment.dtype() == null ? "(not recorded)" : environment.dtype());
        if (environment.arWeightGBps() != null && environment.weightBytesPerPass() != null) {
            // What the baseline achieves: a memory-bound model's AR decoding reads every weight once per token.
            scope.put(
                    "bandwidth",
                    String.format(
                            Locale.ROOT,
                            "AR reads %.1f MB of weights per token at %.1f GB/s",
                            environment.weightBytesPerPass() / 1e6,
                            environment.arWeightGBps()));
        }

        Set<String> datasets = new LinkedHashSet<>();
        results.rows().forEach(row -> datasets.add(row.dataset()));
        List<Map<String, Object>> datasetScopes = new ArrayList<>();
        List<SummaryColumns.Column> columns = SummaryColumns.of(SummaryColumns.showSampling(results.rows()));
        for (String dataset : datasets) {
            List<RowSummary> rows = results.rows().stream()
                    .filter(row -> row.dataset().equals(dataset))
                    .toList();
            Map<String, Object> datasetScope = new LinkedHashMap<>();
            datasetScope.put("name", dataset);
            datasetScope.put("answer", answer(rows, row -> SpeedupInterval.ofGreedyRow(results, row)));
            datasetScope.put(
                    "rows", rows.stream().map(row -> rowScope(row, columns)).toList());
            List<Map<String, Object>> chartScopes = new ArrayList<>();
            for (Charts.ChartImage chart : charts) {
                if (chart.dataset().equals(dataset)) {
                    chartScopes.add(Map.of("file", chart.fileName(), "title", chart.title()));
                }
            }
            datasetScope.put("charts", chartScopes);
            datasetScope.put("hasCharts", !chartScopes.isEmpty());
            datasetScopes.add(datasetScope);
        }
        scope.put("datasets", datasetScopes);
        scope.put("hasDatasets", !datasetScopes.isEmpty());
        scope.put("columns", headerScopes(columns));

        putEquivalence(scope, results);
        AccuracySection.put(scope, results);
        LineCompletionSection.put(scope, results);
        putGates(scope, results);
        scope.put("config", entries(results.config()));
        scope.put("environment", environmentEntries(environment));
        // Shown beside the results table: the ceilings column is only as good as the curve it was priced on.
        scope.put("costCurveWarning", environment.costCurveInversion());
        scope.put("promptCount", results.prompts().size());

        Mustache mustache = new DefaultMustacheFactory().compile(TEMPLATE);
        StringWriter out = new StringWriter();
        mustache.execute(out, scope);
        return out.toString();
    }

    /**
     * A one-paragraph answer to the question for one dataset. "Yes, faster" only when the best SDSAT row's speedup has
     * a one-sided 95 % lower bound above 1 ({@code intervals}: the row's bootstrap over prompts, null with fewer than 2
     * prompts): the best of several noisy rows is above 1 by chance often enough that its point value alone would
     * answer yes for a decoder that is no faster.
     */
    static String answer(List<RowSummary> rows, Function<RowSummary, SpeedupInterval> intervals) {
        RowSummary baseline = rows.stream()
                .filter(row -> row.isBaseline() && row.isGreedy())
                .findFirst()
                .orElse(null);
        List<RowSummary> greedy =
                rows.stream().filter(row -> !row.isBaseline() && row.isGreedy()).toList();
        if (greedy.isEmpty()) {
            return "No greedy speculative decoder was measured on this dataset, so the question is not answered here.";
        }
        if (baseline == null) {
            return "The greedy autoregressive baseline was not measured on this dataset, so no speedup can be given.";
        }
        // The question is about SDSAT: the answer names the fastest decoder that drafts with SAT tokens, and a faster
        // decoder without them (prompt lookup) separately, so that lookup's copying never reads as SDSAT's win.
        RowSummary fastest =
                fastest(greedy.stream().filter(row -> usesSat(row.decoder())).toList());
        RowSummary fastestOther =
                fastest(greedy.stream().filter(row -> !usesSat(row.decoder())).toList());
        long identical = 0;
        long compared = 0;
        for (RowSummary row : greedy) {
            compared += row.prompts();
            identical += row.identicalToBaseline() == null ? 0 : row.identicalToBaseline();
        }
        StringBuilder text = new StringBuilder();
        if (fastest == null) {
            text.append("No greedy SDSAT row shares prompts with the baseline, so no SDSAT speedup can be given. ");
        } else {
            SpeedupInterval interval = intervals.apply(fastest);
            boolean withinNoise = fastest.speedup() > 1.0 && interval != null && interval.lower() <= 1.0;
            String verdict;
            if (fastest.speedup() <= 1.0) {
                verdict = "Not faster: ";
            } else if (interval == null) {
                verdict =
                        "Faster on the one prompt measured, without a confidence bound (that needs 2 prompts or more): ";
            } else {
                verdict = withinNoise ? "Not measurably faster: " : "Yes, faster: ";
            }
            text.append(verdict)
                    .append("the best greedy SDSAT setting, ")
                    .append(fastest.decoder())
                    .append(" at k=")
                    .append(fastest.k())
                    .append(", runs at ")
                    .append(String.format(Locale.ROOT, "%.2f", fastest.speedup()))
                    .append("× the baseline's speed (mean ")
                    .append(String.format(Locale.ROOT, "%.1f", fastest.meanTimeMs()))
                    .append(" ms against ")
                    .append(String.format(Locale.ROOT, "%.1f", baseline.meanTimeMs()))
                    .append(" ms per prompt)");
            if (interval != null) {
                text.append(String.format(
                        Locale.ROOT,
                        "; the speedup's one-sided %.0f %% lower bound over %d prompts is %.2f×%s",
                        100 * interval.confidence(),
                        interval.prompts(),
                        interval.lower(),
                        withinNoise ? ", so the gain is within this run's noise" : ""));
            }
            text.append(". ");
        }
        if (fastestOther != null && (fastest == null || fastestOther.speedup() > fastest.speedup())) {
            text.append("Faster still without SAT drafts: ")
                    .append(fastestOther.decoder())
                    .append(" at k=")
                    .append(fastestOther.k())
                    .append(" runs at ")
                    .append(String.format(Locale.ROOT, "%.2f", fastestOther.speedup()))
                    .append("×");
            if (fastestOther.repeatedAcceptedShare() != null) {
                text.append(String.format(
                        Locale.ROOT,
                        ", with %.0f %% of its accepted drafts copied from the context",
                        100 * fastestOther.repeatedAcceptedShare()));
            }
            text.append(". ");
        }
        if (identical == compared) {
            text.append("Output identical to greedy autoregressive decoding in all ")
                    .append(compared)
                    .append(" greedy runs (prompt × setting).");
        } else {
            text.append("Output identical in ")
                    .append(identical)
                    .append(" of ")
                    .append(compared)
                    .append(" greedy runs (prompt × setting); the differing prompts are listed under Equivalence.");
        }
        return text.toString();
    }

    /** Decoders that draft with the model's SAT tokens, as their registry entry says; lookup and the oracles do not. */
    private static boolean usesSat(String decoder) {
        return io.github.sdsat.decode.DecoderRegistry.usesSat(decoder);
    }

    private static RowSummary fastest(List<RowSummary> rows) {
        RowSummary fastest = null;
        for (RowSummary row : rows) {
            if (row.speedup() != null && (fastest == null || row.speedup() > fastest.speedup())) {
                fastest = row;
            }
        }
        return fastest;
    }

    /** The page's header cells of the results tables: text, right alignment for numbers, tooltip. */
    private static List<Map<String, Object>> headerScopes(List<SummaryColumns.Column> columns) {
        List<Map<String, Object>> headers = new ArrayList<>();
        for (SummaryColumns.Column column : columns) {
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("header", column.header());
            header.put("numeric", column.numeric());
            header.put("tooltip", column.tooltip());
            headers.add(header);
        }
        return headers;
    }

    /** One row of a results table: whether it is the baseline, and each column's cell with its CSS class. */
    private static Map<String, Object> rowScope(RowSummary row, List<SummaryColumns.Column> columns) {
        List<Map<String, Object>> cells = new ArrayList<>();
        for (SummaryColumns.Column column : columns) {
            String emphasis = column.emphasis().apply(row);
            String cssClass = column.numeric() ? (emphasis == null ? "num" : "num " + emphasis) : emphasis;
            Map<String, Object> cell = new LinkedHashMap<>();
            cell.put("text", column.cell().apply(row));
            cell.put("cssClass", cssClass);
            cells.add(cell);
        }
        Map<String, Object> scope = new LinkedHashMap<>();
        scope.put("baseline", row.isBaseline());
        scope.put("cells", cells);
        return scope;
    }

    private static void putEquivalence(Map<String, Object> scope, RunResults results) {
        List<Map<String, Object>> summary = new ArrayList<>();
        for (RowSummary row : results.rows()) {
            if (row.isBaseline() || !row.isGreedy()) {
                continue;
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("dataset", row.dataset());
            line.put("decoder", row.decoder());
            line.put("k", row.k());
            line.put("identical", row.identicalToBaseline());
            line.put("prompts", row.prompts());
            line.put("differs", row.identicalToBaseline() != null && row.identicalToBaseline() < row.prompts());
            summary.add(line);
        }
        List<Map<String, Object>> differences = new ArrayList<>();
        int differing = 0;
        int notCompared = 0;
        for (PromptRecord record : results.prompts()) {
            if (record.isBaseline() || !record.isGreedy()) {
                continue;
            }
            if (record.identicalToBaseline() == null) {
                notCompared++;
            } else if (!record.identicalToBaseline()) {
                differing++;
                if (differences.size() < MAX_LISTED_DIFFERENCES) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("dataset", record.dataset());
                    line.put("taskId", record.taskId());
                    line.put("decoder", record.decoder());
                    line.put("k", record.k());
                    line.put(
                            "firstMismatch",
                            record.firstMismatch() == null
                                    ? "–"
                                    : record.firstMismatch().toString());
                    line.put("newTokens", record.newTokens());
                    differences.add(line);
                }
            }
        }
        scope.put("equivalenceRows", summary);
        scope.put("hasEquivalenceRows", !summary.isEmpty());
        scope.put("differences", differences);
        scope.put("hasDifferences", !differences.isEmpty());
        scope.put("differingCount", differing);
        scope.put("allIdentical", differing == 0 && notCompared == 0 && !summary.isEmpty());
        scope.put("moreDifferences", differing > differences.size() ? differing - differences.size() : 0);
        scope.put("hasMoreDifferences", differing > differences.size());
        scope.put("notCompared", notCompared);
        scope.put("hasNotCompared", notCompared > 0);
    }

    /** The gates' table and verdict, when the run evaluated gates. */
    private static void putGates(Map<String, Object> scope, RunResults results) {
        List<Map<String, Object>> gates = new ArrayList<>();
        long notEnforced = 0;
        for (GateResult gate : results.gates()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("group", gate.group());
            row.put("name", gate.name());
            row.put(
                    "verdict",
                    switch (gate.status()) {
                        case PASSED -> "passed";
                        case FAILED -> "FAILED";
                        case NOT_ENFORCED -> "reported only";
                    });
            row.put("failed", gate.failsTheBuild());
            row.put("message", gate.message());
            gates.add(row);
            notEnforced += gate.status() == GateResult.Status.NOT_ENFORCED ? 1 : 0;
        }
        scope.put("hasGates", !gates.isEmpty());
        scope.put("gates", gates);
        scope.put("gateCount", gates.size());
        scope.put("gatesFailed", results.failedGates().size());
        scope.put("gatesPassed", results.failedGates().isEmpty());
        scope.put("gatesNotEnforced", notEnforced == 0 ? null : notEnforced);
    }

    private static List<Map<String, Object>> entries(Map<String, Object> map) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            entries.add(Map.of("key", entry.getKey(), "value", display(entry.getValue())));
        }
        return entries;
    }

    private static List<Map<String, Object>> environmentEntries(Environment environment) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (RecordComponent component : Environment.class.getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(environment);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Cannot read environment field " + component.getName(), e);
            }
            entries.add(Map.of("key", component.getName(), "value", display(value)));
        }
        return entries;
    }

    private static String display(Object value) {
        if (value == null) {
            return "–";
        }
        if (value instanceof String text) {
            return text;
        }
        try {
            return ResultFiles.mapper()
                    .disable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return value.toString();
        }
    }
}
