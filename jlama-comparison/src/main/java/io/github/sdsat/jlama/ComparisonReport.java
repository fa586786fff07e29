package io.github.sdsat.jlama;

import io.github.sdsat.results.Environment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link JlamaComparison} reports: the engines' summaries side by side with their ratios to Jlama, whether
 * their ids agree, and the files ({@code results.json}, {@code table.md}) it writes.
 */
public final class ComparisonReport {
    private ComparisonReport() {}

    /**
     * How many prompts gave identical ids in two engines, and where the others first differed.
     *
     * @param firstDivergence task id to the index of the first differing new token
     */
    public record Equivalence(
            String engine, String reference, int identical, int prompts, Map<String, Integer> firstDivergence) {
        static Equivalence of(List<JlamaComparison.PromptRun> runs, String engine, String reference) {
            int identical = 0;
            Map<String, Integer> divergence = new LinkedHashMap<>();
            for (JlamaComparison.PromptRun run : runs) {
                int at = firstDifference(run.ids().get(engine), run.ids().get(reference));
                if (at < 0) {
                    identical++;
                } else {
                    divergence.put(run.taskId(), at);
                }
            }
            return new Equivalence(engine, reference, identical, runs.size(), divergence);
        }
    }

    /** Index of the first position where the two differ (a length difference counts), or -1 when equal. */
    static int firstDifference(long[] a, long[] b) {
        return Arrays.mismatch(a, b);
    }

    /** The summary table and the equivalence lines, as printed and written to table.md. */
    static String markdown(
            List<EngineSummary> summaries,
            Equivalence jlamaVsAr,
            Equivalence otherVsAr,
            long encodingsSame,
            int prompts,
            Map<String, Object> settings) {
        EngineSummary jlama = summaries.get(0);
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "%d HumanEval prompts x %d new tokens, greedy, EOS ignored, "
                        + "after %d warm-up prompts; Jlama %s (%s). Decode = tokens after the first / time after the "
                        + "prefill; end to end = all new tokens / wall time of the call, prefill included.%n%n",
                prompts,
                settings.get("newTokens"),
                settings.get("warmupPrompts"),
                settings.get("jlamaVersion"),
                settings.get("jlamaBackend")));
        md.append("| engine | threads | decode tok/s (median) | decode tok/s (total) | end-to-end tok/s (median) "
                + "| end-to-end tok/s (total) | prefill ms (median) | ours/Jlama decode (median) "
                + "| ours/Jlama end-to-end (median) |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        for (EngineSummary s : summaries) {
            boolean isJlama = s == jlama;
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %s |%n",
                    s.engine(),
                    s.threads(),
                    s.decodeMedian(),
                    s.decodeTotal(),
                    s.endToEndMedian(),
                    s.endToEndTotal(),
                    s.prefillMsMedian(),
                    isJlama ? "1" : String.format(Locale.ROOT, "%.2f", s.decodeMedian() / jlama.decodeMedian()),
                    isJlama ? "1" : String.format(Locale.ROOT, "%.2f", s.endToEndMedian() / jlama.endToEndMedian())));
        }
        md.append('\n');
        md.append(equivalenceLine(jlamaVsAr)).append('\n');
        md.append(equivalenceLine(otherVsAr)).append('\n');
        md.append(String.format(
                Locale.ROOT,
                "Jlama's own tokenizer encodes %d/%d prompts to the same ids as ours "
                        + "(Jlama was fed our ids either way).%n",
                encodingsSame,
                prompts));
        return md.toString();
    }

    private static String equivalenceLine(Equivalence e) {
        String line = String.format(
                Locale.ROOT,
                "Identical ids, %s vs %s: %d/%d prompts.",
                e.engine(),
                e.reference(),
                e.identical(),
                e.prompts());
        if (!e.firstDivergence().isEmpty()) {
            line += " First divergence (new-token index): " + e.firstDivergence();
        }
        return line;
    }

    /** Writes results.json (settings, environment, summaries, ratios, equivalence, per-prompt runs) and table.md. */
    static void write(
            Path out,
            String table,
            Map<String, Object> settings,
            Environment environment,
            List<EngineSummary> summaries,
            Equivalence jlamaVsAr,
            Equivalence otherVsAr,
            long encodingsSame,
            List<JlamaComparison.PromptRun> runs) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", settings);
        json.put("environment", environment);
        json.put("summaries", summaries);
        json.put("ratiosOursOverJlama", ratios(summaries));
        json.put("identicalIds", List.of(jlamaVsAr, otherVsAr));
        json.put("jlamaEncodingSamePrompts", encodingsSame);
        List<Map<String, Object>> perPrompt = new ArrayList<>();
        for (JlamaComparison.PromptRun run : runs) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("taskId", run.taskId());
            p.put("promptTokens", run.promptTokens());
            p.put("jlamaEncodingSame", run.jlamaEncodingSame());
            Map<String, Object> engines = new LinkedHashMap<>();
            run.timings().forEach((engine, t) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("newTokens", t.newTokens());
                e.put("prefillMs", t.prefillNanos() / 1e6);
                e.put("decodeMs", t.decodeNanos() / 1e6);
                e.put("wallMs", t.wallNanos() / 1e6);
                e.put("decodeTokensPerSecond", t.decodeRate());
                e.put("endToEndTokensPerSecond", t.endToEndRate());
                e.put("ids", run.ids().get(engine));
                engines.put(engine, e);
            });
            p.put("engines", engines);
            perPrompt.add(p);
        }
        json.put("prompts", perPrompt);
        ResultFolder.write(out, json, table);
    }

    private static Map<String, Object> ratios(List<EngineSummary> summaries) {
        EngineSummary jlama = summaries.get(0);
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (EngineSummary s : summaries.subList(1, summaries.size())) {
            Map<String, Double> r = new LinkedHashMap<>();
            r.put("decodeMedian", s.decodeMedian() / jlama.decodeMedian());
            r.put("decodeTotal", s.decodeTotal() / jlama.decodeTotal());
            r.put("endToEndMedian", s.endToEndMedian() / jlama.endToEndMedian());
            r.put("endToEndTotal", s.endToEndTotal() / jlama.endToEndTotal());
            ratios.put(s.engine(), r);
        }
        return ratios;
    }
}
