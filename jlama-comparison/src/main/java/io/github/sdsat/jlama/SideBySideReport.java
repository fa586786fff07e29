package io.github.sdsat.jlama;

import io.github.sdsat.results.Aggregator;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link Bf16SideBySide} reports from its engine processes: each engine's rates over all its timed runs
 * (medians, {@link EngineSummary}), the ratio of our {@code ar} to Jlama, where the greedy ids of the two first
 * differ, and each engine's largest peak RSS.
 */
public final class SideBySideReport {
    /** The target: our ar decodes at least this many times as fast as Jlama on the same BF16 folder. */
    static final double TARGET_DECODE_RATIO = 1.3;

    private SideBySideReport() {}

    /** The engines of round {@code round} (0-based) in order: ABBA, so neither engine always runs first. */
    static List<String> order(int round) {
        return round % 2 == 0
                ? List.of(EngineProcess.JLAMA, EngineProcess.AR)
                : List.of(EngineProcess.AR, EngineProcess.JLAMA);
    }

    /**
     * Where Jlama's and our greedy ids first differ.
     *
     * @param firstDivergence index of the first differing new token, -1 when all are equal
     * @param jlamaToken Jlama's token there (-1 when identical)
     * @param arToken our token there (-1 when identical)
     */
    public record IdAgreement(int compared, int firstDivergence, long jlamaToken, long arToken) {
        static IdAgreement of(long[] jlama, long[] ar) {
            int at = Arrays.mismatch(jlama, ar);
            if (at < 0) {
                return new IdAgreement(jlama.length, -1, -1, -1);
            }
            return new IdAgreement(
                    Math.min(jlama.length, ar.length),
                    at,
                    at < jlama.length ? jlama[at] : -1,
                    at < ar.length ? ar[at] : -1);
        }

        boolean identical() {
            return firstDivergence < 0;
        }

        String describe() {
            if (identical()) {
                return "identical greedy ids, Jlama vs our ar: " + compared + "/" + compared + " new tokens";
            }
            return "greedy ids, Jlama vs our ar: equal for the first " + firstDivergence + " of " + compared
                    + " new tokens, then Jlama " + jlamaToken + " vs ar " + arToken + " (a BF16 rounding difference "
                    + "is possible: Jlama rounds activations to BF16 before every matrix product, ours keeps float32)";
        }
    }

    /** One engine over all its processes. */
    public record EngineTotals(
            EngineSummary summary,
            int processes,
            double loadSecondsMedian,
            boolean idsSameInEveryRun,
            ProcessMemory largestPeak,
            String dataTypes) {
        static EngineTotals of(String label, List<EngineProcess.Result> results) {
            if (results.isEmpty()) {
                throw new IllegalArgumentException("No process results for " + label);
            }
            List<EngineSummary.Timing> timings =
                    results.stream().flatMap(r -> r.timings().stream()).toList();
            EngineProcess.Result first = results.get(0);
            boolean stable = results.stream().allMatch(r -> r.idsStable() && Arrays.equals(r.ids(), first.ids()));
            ProcessMemory peak = results.stream()
                    .map(EngineProcess.Result::memory)
                    .max((a, b) -> Long.compare(a.peakKb(), b.peakKb()))
                    .orElseThrow();
            double load = Aggregator.median(results.stream()
                    .mapToDouble(EngineProcess.Result::loadSeconds)
                    .toArray());
            return new EngineTotals(
                    EngineSummary.of(label, first.backend(), timings),
                    results.size(),
                    load,
                    stable,
                    peak,
                    first.dataTypes());
        }
    }

    /** Both engines, their ratio and the id agreement. */
    public record Comparison(EngineTotals jlama, EngineTotals ar, IdAgreement ids, Boolean jlamaEncodingSame) {
        static Comparison of(List<EngineProcess.Result> jlama, List<EngineProcess.Result> ar) {
            long[] prompt = jlama.get(0).promptIds();
            for (EngineProcess.Result r : ar) {
                if (!Arrays.equals(r.promptIds(), prompt)) {
                    throw new IllegalStateException("The engine processes were fed different prompt ids ("
                            + prompt.length + " vs " + r.promptIds().length + "): both encode with our tokenizer, "
                            + "so the model folder changed during the run");
                }
            }
            return new Comparison(
                    EngineTotals.of("Jlama 0.8.4", jlama),
                    EngineTotals.of("ar (ours)", ar),
                    IdAgreement.of(jlama.get(0).ids(), ar.get(0).ids()),
                    jlama.get(0).jlamaEncodingSame());
        }

        double decodeRatio() {
            return ar.summary().decodeMedian() / jlama.summary().decodeMedian();
        }

        double endToEndRatio() {
            return ar.summary().endToEndMedian() / jlama.summary().endToEndMedian();
        }
    }

    static String markdown(Comparison c, Map<String, Object> settings) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "%s: prompt of %s ids, %s new tokens per timed run, greedy, EOS ignored; %s rounds of one process "
                        + "per engine (order alternating), %s untimed + %s timed runs per process. Decode = tokens "
                        + "after the first / time after the prefill; end to end = new tokens / wall time.%n%n",
                settings.get("model"),
                settings.get("promptTokens"),
                settings.get("newTokens"),
                settings.get("rounds"),
                settings.get("warmupRuns"),
                settings.get("timedRunsPerProcess")));
        md.append("| engine | threads, kernels | timed runs | decode tok/s (median) | end-to-end tok/s (median) "
                + "| prefill ms (median) | load s (median) | peak RSS |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (EngineTotals e : List.of(c.jlama(), c.ar())) {
            EngineSummary s = e.summary();
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %d | %.2f | %.2f | %.0f | %.1f | %s |%n",
                    s.engine(),
                    s.threads(),
                    s.prompts(),
                    s.decodeMedian(),
                    s.endToEndMedian(),
                    s.prefillMsMedian(),
                    e.loadSecondsMedian(),
                    e.largestPeak().describe()));
        }
        md.append('\n');
        double ratio = c.decodeRatio();
        md.append(String.format(
                Locale.ROOT,
                "ours / Jlama: decode %.2fx, end to end %.2fx. Target ar >= %.1fx Jlama's decode tokens/s: %s.%n",
                ratio,
                c.endToEndRatio(),
                TARGET_DECODE_RATIO,
                ratio >= TARGET_DECODE_RATIO ? "met" : "missed"));
        md.append(c.ids().describe()).append(".\n");
        md.append("Same ids in every run and process: Jlama ")
                .append(c.jlama().idsSameInEveryRun() ? "yes" : "no")
                .append(", ar ")
                .append(c.ar().idsSameInEveryRun() ? "yes" : "no")
                .append(".\n");
        if (c.jlamaEncodingSame() != null) {
            md.append("Jlama's own tokenizer encodes the prompt to ")
                    .append(c.jlamaEncodingSame() ? "the same ids as ours" : "other ids than ours")
                    .append(" (both engines were fed our ids either way).\n");
        }
        md.append("Jlama: ").append(c.jlama().dataTypes()).append(". Ours: ").append(c.ar().dataTypes());
        md.append(".\n");
        return md.toString();
    }

    /** Writes results.json (settings, both engines, ratios, ids, every process's result) and table.md. */
    static void write(
            Path out,
            String table,
            Map<String, Object> settings,
            Comparison comparison,
            List<EngineProcess.Result> processes) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", settings);
        json.put("jlama", comparison.jlama());
        json.put("ar", comparison.ar());
        json.put(
                "oursOverJlama",
                Map.of("decodeMedian", comparison.decodeRatio(), "endToEndMedian", comparison.endToEndRatio()));
        json.put("targetDecodeRatio", TARGET_DECODE_RATIO);
        json.put("ids", comparison.ids());
        json.put("processes", processes);
        ResultFolder.write(out, json, table);
    }
}
