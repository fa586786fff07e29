package io.github.sdsat.gate;

import io.github.sdsat.results.Aggregator;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The wall-clock speedup as a statistic: the ratio of medians (baseline generation times over decoder generation
 * times, each side's median over every timed generation) and a percentile-bootstrap confidence interval for it that
 * resamples prompts (with replacement, each prompt carrying all its baseline and decoder timings), so that both the
 * timing noise and the prompt-to-prompt spread widen it. Seeded: the same timings give the same interval. Used by
 * the speedup floors of {@code sdsat:reproduce} ({@link RunGates}) and the wall-clock gate of {@code reproduction-tests}.
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
