package io.github.sdsat.decode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares empirical counts of token sequences with an exact distribution: Pearson chi-square with small cells
 * merged, its critical value, and the total variation distance.
 */
final class DistributionCheck {
    /** Upper 1e-4 quantile of the standard normal distribution. */
    static final double Z_ALPHA_1E4 = 3.7190164854556804;

    final double statistic;
    final int degreesOfFreedom;
    final double critical;
    final double totalVariation;
    final int cells;

    private DistributionCheck(
            double statistic, int degreesOfFreedom, double critical, double totalVariation, int cells) {
        this.statistic = statistic;
        this.degreesOfFreedom = degreesOfFreedom;
        this.critical = critical;
        this.totalVariation = totalVariation;
        this.cells = cells;
    }

    boolean passes() {
        return statistic <= critical;
    }

    /**
     * @param exact probability of each sequence key; sequences it leaves out share the remaining mass as one cell
     * @param counts observed count per sequence key
     * @param n number of observations
     */
    static DistributionCheck compare(Map<Long, Double> exact, Map<Long, Integer> counts, int n) {
        // Cells: every exact key, plus "other" (keys not in exact, with the leftover mass).
        List<double[]> cells = new ArrayList<>(); // {expected, observed}
        double covered = 0;
        double tv = 0;
        for (Map.Entry<Long, Double> e : exact.entrySet()) {
            int observed = counts.getOrDefault(e.getKey(), 0);
            cells.add(new double[] {n * e.getValue(), observed});
            covered += e.getValue();
            tv += Math.abs(e.getValue() - (double) observed / n);
        }
        int otherObserved = 0;
        for (Map.Entry<Long, Integer> e : counts.entrySet()) {
            if (!exact.containsKey(e.getKey())) {
                otherObserved += e.getValue();
            }
        }
        double otherMass = Math.max(0, 1 - covered);
        tv += Math.abs(otherMass - (double) otherObserved / n);
        cells.add(new double[] {n * otherMass, otherObserved});
        // Merge cells expected below 5 (smallest first) until the merged cell reaches 5.
        cells.sort((a, b) -> Double.compare(a[0], b[0]));
        List<double[]> merged = new ArrayList<>();
        double[] pool = {0, 0};
        for (double[] c : cells) {
            if (c[0] < 5 || pool[0] > 0 && pool[0] < 5) {
                pool[0] += c[0];
                pool[1] += c[1];
            } else {
                merged.add(c);
            }
        }
        if (pool[0] > 0 || pool[1] > 0) {
            if (pool[0] >= 5 || merged.isEmpty()) {
                merged.add(pool);
            } else {
                double[] smallest = merged.get(0);
                smallest[0] += pool[0];
                smallest[1] += pool[1];
            }
        }
        double chi = 0;
        for (double[] c : merged) {
            if (c[0] > 0) {
                chi += (c[1] - c[0]) * (c[1] - c[0]) / c[0];
            } else if (c[1] > 0) {
                chi = Double.POSITIVE_INFINITY; // observed something of probability 0
            }
        }
        int df = Math.max(1, merged.size() - 1);
        return new DistributionCheck(chi, df, chiSquareCritical(df, Z_ALPHA_1E4), tv / 2, merged.size());
    }

    /** Wilson–Hilferty: the chi-square quantile with df degrees of freedom at the normal quantile z. */
    static double chiSquareCritical(int df, double z) {
        double a = 2.0 / (9.0 * df);
        double c = 1 - a + z * Math.sqrt(a);
        return df * c * c * c;
    }

    /**
     * The same comparison on the first {@code m} tokens only (keys are base-vocab digits, first token least
     * significant): fewer cells, so a much lower noise floor for the total variation distance.
     */
    static DistributionCheck comparePrefix(
            Map<Long, Double> exact, Map<Long, Integer> counts, int n, int vocab, int m) {
        long cells = 1;
        for (int i = 0; i < m; i++) {
            cells *= vocab;
        }
        Map<Long, Double> exactPrefix = new HashMap<>();
        for (Map.Entry<Long, Double> e : exact.entrySet()) {
            exactPrefix.merge(e.getKey() % cells, e.getValue(), Double::sum);
        }
        Map<Long, Integer> countsPrefix = new HashMap<>();
        for (Map.Entry<Long, Integer> e : counts.entrySet()) {
            countsPrefix.merge(e.getKey() % cells, e.getValue(), Integer::sum);
        }
        return compare(exactPrefix, countsPrefix, n);
    }

    static void add(Map<Long, Integer> counts, long key) {
        counts.merge(key, 1, Integer::sum);
    }

    /** Sequence key: tokens as digits in base vocab, first token least significant. */
    static long key(long[] tokens, int length, int vocab) {
        long key = 0;
        long scale = 1;
        for (int i = 0; i < length; i++) {
            key += tokens[i] * scale;
            scale *= vocab;
        }
        return key;
    }

    static Map<Long, Integer> newCounts() {
        return new HashMap<>();
    }

    @Override
    public String toString() {
        return String.format(
                "chi2 = %.1f (critical %.1f at alpha 1e-4, df %d, %d cells), TV = %.4f",
                statistic, critical, degreesOfFreedom, cells, totalVariation);
    }
}
