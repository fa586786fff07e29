package io.github.sdsat.results;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns per-prompt records into the summary rows of a run.
 *
 * <p>Records are grouped by (dataset, decoder, temperature, k, sampling); one group is one {@link RowSummary}.
 * Within a group each task id may appear once. The row's numbers, with their denominators:
 *
 * <ul>
 *   <li>{@code prompts}: records in the group.
 *   <li>{@code meanTimeMs}, {@code medianTimeMs}: mean and median of the per-prompt wall time (prefill
 *       included) over the group's prompts.
 *   <li>{@code speedup}: (mean baseline time) / (mean row time), both means taken over the same prompts: the
 *       task ids present in both the row and its baseline. The baseline of a row is the group with decoder
 *       {@code ar}, k 0, the same dataset and the same temperature (preferring the same sampling value, then
 *       none). The baseline row's own speedup is 1.0. Null when there is no baseline or no shared prompt.
 *   <li>{@code medianSpeedup}: median over those shared prompts of (baseline time / row time) per prompt.
 *   <li>{@code tokensPerSecond}: total new tokens / total wall time in seconds (a time-weighted rate, not the
 *       mean of per-prompt rates).
 *   <li>{@code tokensPerForward}: total new tokens / total forward passes (null when no pass was counted).
 *   <li>{@code acceptRate}: total accepted tokens / total drafted tokens (null when nothing was drafted, as for
 *       {@code ar}).
 *   <li>{@code meanAcceptedPerLoop}: total accepted tokens / total draft-verify loops (null when nothing was
 *       drafted or no loop ran).
 *   <li>{@code identicalToBaseline}: for greedy rows (temperature 0, no sampling rule), the number of records
 *       whose {@code identicalToBaseline} is true; the baseline row counts all its prompts. Null for sampling
 *       rows.
 *   <li>{@code repeatedAcceptedShare}: total {@code repeatedAcceptedTokens} / total accepted tokens, both over
 *       the records that carry {@code repeatedAcceptedTokens} (older results do not); null when those records
 *       accepted nothing.
 *   <li>{@code ceilingSpeedup}: Σ(prefillMs + modelledArDecodeMs) / Σ(prefillMs + modelledDecodeMs) over the
 *       group's records: the speedup its passes would give with zero loop overhead on the run's cost curve. Null
 *       unless every record carries modelled times.
 * </ul>
 *
 * Rows are ordered by dataset (first appearance), temperature, the baseline before other decoders, decoder
 * (first appearance), sampling (none first), then k.
 */
public final class Aggregator {

    private Aggregator() {}

    /** Identity of a row. */
    private record RowKey(String dataset, String decoder, double temperature, int k, String sampling) {
        boolean isBaseline() {
            return PromptRecord.isBaseline(decoder, k);
        }
    }

    /**
     * Summarises records into rows; see the class comment for the definitions.
     *
     * @throws IllegalArgumentException if one row holds the same task id twice
     */
    public static List<RowSummary> summarise(List<PromptRecord> records) {
        Map<RowKey, Map<String, PromptRecord>> groups = new LinkedHashMap<>();
        Map<String, Integer> datasetOrder = new HashMap<>();
        Map<String, Integer> decoderOrder = new HashMap<>();
        for (PromptRecord record : records) {
            RowKey key = keyOf(record);
            datasetOrder.putIfAbsent(record.dataset(), datasetOrder.size());
            decoderOrder.putIfAbsent(record.decoder(), decoderOrder.size());
            PromptRecord previous =
                    groups.computeIfAbsent(key, unused -> new LinkedHashMap<>()).putIfAbsent(record.taskId(), record);
            if (previous != null) {
                throw new IllegalArgumentException("Task " + record.dataset() + "/" + record.taskId()
                        + " appears twice for decoder " + record.decoder() + ", k=" + record.k() + ", temperature "
                        + record.temperature() + ", sampling " + record.sampling()
                        + "; each prompt may be measured once per row (were shard results merged twice?)");
            }
        }
        List<RowKey> keys = new ArrayList<>(groups.keySet());
        keys.sort(Comparator.<RowKey>comparingInt(key -> datasetOrder.get(key.dataset()))
                .thenComparingDouble(RowKey::temperature)
                .thenComparing(key -> !key.isBaseline())
                .thenComparingInt(key -> decoderOrder.get(key.decoder()))
                .thenComparing(RowKey::sampling, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparingInt(RowKey::k));

        List<RowSummary> rows = new ArrayList<>(keys.size());
        for (RowKey key : keys) {
            Map<String, PromptRecord> group = groups.get(key);
            Map<String, PromptRecord> baseline = key.isBaseline() ? group : baselineFor(key, groups);
            rows.add(summariseRow(key, group, baseline));
        }
        return List.copyOf(rows);
    }

    private static RowKey keyOf(PromptRecord record) {
        return new RowKey(record.dataset(), record.decoder(), record.temperature(), record.k(), record.sampling());
    }

    private static Map<String, PromptRecord> baselineFor(RowKey row, Map<RowKey, Map<String, PromptRecord>> groups) {
        Map<String, PromptRecord> withoutSampling = null;
        Map<String, PromptRecord> any = null;
        for (Map.Entry<RowKey, Map<String, PromptRecord>> entry : groups.entrySet()) {
            RowKey candidate = entry.getKey();
            if (!candidate.isBaseline()
                    || !candidate.dataset().equals(row.dataset())
                    || candidate.temperature() != row.temperature()) {
                continue;
            }
            if (Objects.equals(candidate.sampling(), row.sampling())) {
                return entry.getValue();
            }
            if (candidate.sampling() == null && withoutSampling == null) {
                withoutSampling = entry.getValue();
            }
            if (any == null) {
                any = entry.getValue();
            }
        }
        return withoutSampling != null ? withoutSampling : any;
    }

    private static RowSummary summariseRow(
            RowKey key, Map<String, PromptRecord> group, Map<String, PromptRecord> baseline) {
        int prompts = group.size();
        double[] times = new double[prompts];
        long newTokens = 0;
        long forwardPasses = 0;
        long drafted = 0;
        long accepted = 0;
        long loops = 0;
        long repeated = 0;
        long acceptedWhereMeasured = 0;
        double ceilingAr = 0;
        double ceilingRow = 0;
        boolean modelled = true;
        int identical = 0;
        int i = 0;
        for (PromptRecord record : group.values()) {
            times[i++] = record.timeMs();
            newTokens += record.newTokens();
            forwardPasses += record.forwardPasses();
            drafted += record.draftedTokens();
            accepted += record.acceptedTokens();
            loops += record.loops();
            if (record.repeatedAcceptedTokens() != null) {
                repeated += record.repeatedAcceptedTokens();
                acceptedWhereMeasured += record.acceptedTokens();
            }
            if (Boolean.TRUE.equals(record.identicalToBaseline())) {
                identical++;
            }
            if (record.modelledDecodeMs() == null || record.modelledArDecodeMs() == null) {
                modelled = false;
            } else {
                ceilingAr += record.prefillMs() + record.modelledArDecodeMs();
                ceilingRow += record.prefillMs() + record.modelledDecodeMs();
            }
        }
        double totalTimeMs = Arrays.stream(times).sum();

        Double speedup = null;
        Double medianSpeedup = null;
        if (key.isBaseline()) {
            speedup = 1.0;
            medianSpeedup = 1.0;
        } else if (baseline != null) {
            double baselineSum = 0;
            double rowSum = 0;
            List<Double> ratios = new ArrayList<>();
            for (PromptRecord record : group.values()) {
                PromptRecord reference = baseline.get(record.taskId());
                if (reference == null) {
                    continue;
                }
                baselineSum += reference.timeMs();
                rowSum += record.timeMs();
                if (record.timeMs() > 0) {
                    ratios.add(reference.timeMs() / record.timeMs());
                }
            }
            if (rowSum > 0) {
                // Both sums run over the same prompts, so the ratio of sums equals the ratio of means.
                speedup = baselineSum / rowSum;
            }
            if (!ratios.isEmpty()) {
                medianSpeedup =
                        median(ratios.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }

        Integer identicalCount = null;
        if (key.temperature() == 0.0 && key.sampling() == null) {
            identicalCount = key.isBaseline() ? prompts : identical;
        }
        return new RowSummary(
                key.dataset(),
                key.decoder(),
                key.temperature(),
                key.k(),
                key.sampling(),
                prompts,
                totalTimeMs / prompts,
                median(times),
                speedup,
                medianSpeedup,
                totalTimeMs > 0 ? newTokens / (totalTimeMs / 1000.0) : 0.0,
                forwardPasses > 0 ? (double) newTokens / forwardPasses : null,
                drafted > 0 ? (double) accepted / drafted : null,
                drafted > 0 && loops > 0 ? (double) accepted / loops : null,
                identicalCount,
                acceptedWhereMeasured > 0 ? (double) repeated / acceptedWhereMeasured : null,
                modelled && ceilingRow > 0 ? ceilingAr / ceilingRow : null);
    }

    /**
     * Median of the values (mean of the two middle ones for an even count), the one median of the toolkit (runs,
     * benchmarks, the Jlama comparison, the speed gates); the caller's array is left as it was.
     */
    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("Median of no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }

    /** {@link #median(double[])} of a list (timing samples as they are collected). */
    public static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
