package io.github.sdsat.accuracy;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile-bootstrap 95% intervals of a mean over items, with a fixed seed so a run's intervals are reproducible.
 * Bootstrapping the per-item differences of two models resamples the items together for both, which is the paired
 * bootstrap.
 */
public final class PairedBootstrap {
    /** A mean and its 95% interval. */
    public record Interval(double mean, double low, double high) {}

    private PairedBootstrap() {}

    /** The mean of {@code values} and the 2.5% and 97.5% percentiles of {@code resamples} bootstrap means. */
    public static Interval mean(double[] values, int resamples, long seed) {
        double[] ones = new double[values.length];
        Arrays.fill(ones, 1.0);
        return ratio(values, ones, resamples, seed);
    }

    /**
     * The ratio of sums {@code sum(numerator) / sum(denominator)} over items (e.g. bits over bytes) and the 2.5% and
     * 97.5% percentiles of the ratio over {@code resamples} bootstrap resamples of the items.
     */
    public static Interval ratio(double[] numerator, double[] denominator, int resamples, long seed) {
        int n = numerator.length;
        if (denominator.length != n) {
            throw new IllegalArgumentException(
                    "numerator and denominator differ in length: " + n + " vs " + denominator.length);
        }
        if (n == 0) {
            return new Interval(Double.NaN, Double.NaN, Double.NaN);
        }
        double top = 0;
        double bottom = 0;
        for (int i = 0; i < n; i++) {
            top += numerator[i];
            bottom += denominator[i];
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] ratios = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double t = 0;
            double b = 0;
            for (int i = 0; i < n; i++) {
                int pick = random.nextInt(n);
                t += numerator[pick];
                b += denominator[pick];
            }
            ratios[r] = t / b;
        }
        Arrays.sort(ratios);
        return new Interval(top / bottom, percentile(ratios, 0.025), percentile(ratios, 0.975));
    }

    /** Per-item {@code a[i] - b[i]}. */
    public static double[] differences(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired arrays differ in length: " + a.length + " vs " + b.length);
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    /** Linear interpolation between the order statistics of a sorted array. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double position = p * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(sorted.length - 1, lower + 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
