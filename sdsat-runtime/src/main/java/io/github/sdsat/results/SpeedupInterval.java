package io.github.sdsat.results;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The wall-clock speedup as a statistic: the ratio of medians (baseline generation times over decoder generation
 * times, each side's median over every timed generation) and a percentile-bootstrap confidence interval for it that
 * resamples prompts (with replacement, each prompt carrying all its baseline and decoder timings), so that both the
 * timing noise and the prompt-to-prompt spread widen it. Seeded: the same timings give the same interval. Used by
 * the speedup floors of {@code sdsat:reproduce} ({@code gate.RunGates}), the report's answer ({@code report.HtmlReport}) and
 * the wall-clock gate of {@code reproduction-tests}.
 *
 * @param ratioOfMedians the speedup measured on the timings
 * @param lower one-sided lower confidence bound at {@code confidence}
 * @param upper upper bound at the same confidence, for the report
 */
public record SpeedupInterval(
        double ratioOfMedians,
        double lower,
        double upper,
        double confidence,
        int prompts,
        int timingsPerSide,
        int resamples) {
    /** Confidence of the speedup floors' bootstrap lower bound, and of the report's "faster" ({@link #ofGreedyRow}). */
    public static final double FLOOR_CONFIDENCE = 0.95;

    /** Seed of every bootstrap of the gates ({@code gate.BaselineComparison} too) and the report: the same results give
     * the same verdict. */
    public static final long BOOTSTRAP_SEED = 0x5D5A7L;

    /** Resamples of the bootstrap: enough for a stable 5th percentile (its Monte Carlo error is well under 1%). */
    public static final int RESAMPLES = 4000;

    /**
     * @param baselineMs per prompt, the baseline's timed generations (ms)
     * @param methodMs per prompt (same order), the decoder's timed generations (ms)
     * @param confidence e.g. 0.95: {@link #lower} is the 5th percentile of the bootstrap distribution
     */
    public static SpeedupInterval bootstrap(double[][] baselineMs, double[][] methodMs, double confidence, long seed) {
        if (baselineMs.length != methodMs.length || baselineMs.length < 2) {
            throw new IllegalArgumentException("Need the same number (at least 2) of prompts on both sides, got "
                    + baselineMs.length + " and " + methodMs.length);
        }
        int n = baselineMs.length;
        double ratio = ratio(baselineMs, methodMs, identity(n));
        double[] ratios = new double[RESAMPLES];
        SplittableRandom random = new SplittableRandom(seed);
        int[] pick = new int[n];
        for (int r = 0; r < RESAMPLES; r++) {
            for (int i = 0; i < n; i++) {
                pick[i] = random.nextInt(n);
            }
            ratios[r] = ratio(baselineMs, methodMs, pick);
        }
        Arrays.sort(ratios);
        double lower = ratios[(int) Math.floor((1 - confidence) * RESAMPLES)];
        double upper = ratios[(int) Math.ceil(confidence * RESAMPLES) - 1];
        int perSide = Arrays.stream(baselineMs).mapToInt(a -> a.length).sum();
        return new SpeedupInterval(ratio, lower, upper, confidence, n, perSide, RESAMPLES);
    }

    /**
     * The interval of a greedy row of a run against the run's greedy baseline, over the prompts both measured, at the
     * confidence and seed of the speedup floors ({@link #FLOOR_CONFIDENCE}, {@link #BOOTSTRAP_SEED}); null when fewer than 2
     * prompts were measured by both (no bound can be given).
     */
    public static SpeedupInterval ofGreedyRow(RunResults results, RowSummary row) {
        double[][][] timings = pairedGreedyTimings(results, row);
        if (timings[0].length < 2) {
            return null;
        }
        return bootstrap(timings[0], timings[1], FLOOR_CONFIDENCE, BOOTSTRAP_SEED);
    }

    /**
     * [0]: the greedy baseline's times, [1]: the row's, one generation per prompt ([prompts][1] each, ms), over the
     * prompts of the row's dataset that both measured, in the row's order.
     */
    public static double[][][] pairedGreedyTimings(RunResults results, RowSummary row) {
        Map<String, Double> baseline = new LinkedHashMap<>();
        Map<String, Double> method = new LinkedHashMap<>();
        for (PromptRecord r : results.prompts()) {
            if (!r.dataset().equals(row.dataset()) || r.temperature() != 0.0 || r.sampling() != null) {
                continue;
            }
            if (r.isBaseline()) {
                baseline.put(r.taskId(), r.timeMs());
            } else if (r.decoder().equals(row.decoder()) && r.k() == row.k()) {
                method.put(r.taskId(), r.timeMs());
            }
        }
        List<double[]> base = new ArrayList<>();
        List<double[]> mine = new ArrayList<>();
        method.forEach((task, ms) -> {
            if (baseline.containsKey(task)) {
                base.add(new double[] {baseline.get(task)});
                mine.add(new double[] {ms});
            }
        });
        return new double[][][] {base.toArray(double[][]::new), mine.toArray(double[][]::new)};
    }

    private static int[] identity(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        return ids;
    }

    private static double ratio(double[][] baselineMs, double[][] methodMs, int[] prompts) {
        return Aggregator.median(pool(baselineMs, prompts)) / Aggregator.median(pool(methodMs, prompts));
    }

    private static double[] pool(double[][] timings, int[] prompts) {
        int size = 0;
        for (int p : prompts) {
            size += timings[p].length;
        }
        double[] all = new double[size];
        int at = 0;
        for (int p : prompts) {
            System.arraycopy(timings[p], 0, all, at, timings[p].length);
            at += timings[p].length;
        }
        return all;
    }

    public String describe() {
        return String.format(
                Locale.ROOT,
                "speedup (ratio of medians) %.3fx, one-sided %.0f%% lower bound %.3fx "
                        + "(two-sided %.0f%% interval %.3fx to %.3fx; bootstrap over %d prompts, %d resamples, %d timed "
                        + "generations per side)",
                ratioOfMedians,
                100 * confidence,
                lower,
                100 * (2 * confidence - 1),
                lower,
                upper,
                prompts,
                resamples,
                timingsPerSide);
    }
}
