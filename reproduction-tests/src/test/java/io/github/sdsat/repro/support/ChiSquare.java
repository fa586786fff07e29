package io.github.sdsat.repro.support;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Two-sample chi-square test of homogeneity over categorical samples (token ids): are two samples drawn from the
 * same distribution? Categories whose pooled count is under 10 are merged into one (so every expected count is at
 * least about 5 with equal sample sizes); the p-value is the chi-square survival function (regularized upper
 * incomplete gamma, series/continued fraction as in Numerical Recipes §6.2).
 */
public final class ChiSquare {
    private ChiSquare() {}

    /** @param statistic chi-square statistic, degrees of freedom, p-value */
    public record Result(double statistic, int degreesOfFreedom, double pValue, int categories) {}

    public static Result homogeneity(List<Long> a, List<Long> b) {
        Map<Long, int[]> counts = new HashMap<>();
        a.forEach(x -> counts.computeIfAbsent(x, ignored -> new int[2])[0]++);
        b.forEach(x -> counts.computeIfAbsent(x, ignored -> new int[2])[1]++);
        List<int[]> cells = new ArrayList<>();
        int[] other = new int[2];
        Set<Long> keys = new HashSet<>(counts.keySet());
        for (Long key : keys) {
            int[] c = counts.get(key);
            if (c[0] + c[1] >= 10) {
                cells.add(c);
            } else {
                other[0] += c[0];
                other[1] += c[1];
            }
        }
        if (other[0] + other[1] > 0) {
            cells.add(other);
        }
        double na = a.size();
        double nb = b.size();
        double statistic = 0;
        for (int[] c : cells) {
            double pooled = c[0] + c[1];
            double ea = na * pooled / (na + nb);
            double eb = nb * pooled / (na + nb);
            statistic += (c[0] - ea) * (c[0] - ea) / ea + (c[1] - eb) * (c[1] - eb) / eb;
        }
        if (cells.size() < 2) {
            // One category after merging: both samples are (almost) all one token, the test has no degree of
            // freedom, and a p-value of 1 would pass any decoder silently. The caller must not test here.
            throw new IllegalArgumentException("Chi-square homogeneity needs at least two categories after merging "
                    + "those under 10 pooled counts, got " + cells.size() + " (" + counts.size() + " distinct values "
                    + "in " + a.size() + " + " + b.size() + " samples): nothing to compare here; test positions "
                    + "where the distribution has more than one likely token");
        }
        int df = cells.size() - 1;
        return new Result(statistic, df, survival(statistic, df), cells.size());
    }

    /** P(X >= x) for X ~ chi-square(df). */
    public static double survival(double x, int df) {
        if (x <= 0) {
            return 1.0;
        }
        return upperRegularizedGamma(df / 2.0, x / 2.0);
    }

    static double upperRegularizedGamma(double s, double x) {
        if (x < s + 1) {
            double sum = 1.0 / s;
            double term = sum;
            for (int n = 1; n < 1000; n++) {
                term *= x / (s + n);
                sum += term;
                if (term < sum * 1e-15) {
                    break;
                }
            }
            return Math.max(0, 1 - sum * Math.exp(-x + s * Math.log(x) - logGamma(s)));
        }
        double b = x + 1 - s;
        double c = 1.0 / 1e-300;
        double d = 1.0 / b;
        double h = d;
        for (int i = 1; i < 1000; i++) {
            double an = -i * (i - s);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < 1e-300) {
                d = 1e-300;
            }
            c = b + an / c;
            if (Math.abs(c) < 1e-300) {
                c = 1e-300;
            }
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return Math.exp(-x + s * Math.log(x) - logGamma(s)) * h;
    }

    /** Lanczos approximation (g = 7, n = 9), accurate to about 1e-15 for s > 0. */
    static double logGamma(double s) {
        double[] c = {
            0.99999999999980993,
            676.5203681218851,
            -1259.1392167224028,
            771.32342877765313,
            -176.61502916214059,
            12.507343278686905,
            -0.13857109526572012,
            9.9843695780195716e-6,
            1.5056327351493116e-7
        };
        if (s < 0.5) {
            return Math.log(Math.PI / Math.sin(Math.PI * s)) - logGamma(1 - s);
        }
        s -= 1;
        double a = c[0];
        double t = s + 7.5;
        for (int i = 1; i < 9; i++) {
            a += c[i] / (s + i);
        }
        return 0.5 * Math.log(2 * Math.PI) + (s + 0.5) * Math.log(t) - t + Math.log(a);
    }

    /** Total variation distance between the empirical distributions of two samples. */
    public static double totalVariation(List<Long> a, List<Long> b) {
        Map<Long, double[]> p = new HashMap<>();
        a.forEach(x -> p.computeIfAbsent(x, ignored -> new double[2])[0] += 1.0 / a.size());
        b.forEach(x -> p.computeIfAbsent(x, ignored -> new double[2])[1] += 1.0 / b.size());
        double tv = 0;
        for (double[] v : p.values()) {
            tv += Math.abs(v[0] - v[1]);
        }
        return tv / 2;
    }
}
