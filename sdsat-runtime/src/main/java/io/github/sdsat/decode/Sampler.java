package io.github.sdsat.decode;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Logits processing and token choice, in Java on one row of logits.
 *
 * <p>The same processing (temperature, then top-k, then top-p, then renormalise) is applied in draft, verify and
 * baseline passes, so that "the target distribution" means the same thing everywhere.
 */
public final class Sampler {
    private Sampler() {}

    /**
     * The processed distribution of one row: softmax(logits / T), restricted to the top-k tokens (0 = all), then to
     * the smallest set of most likely tokens whose mass reaches topP of the top-k distribution renormalised (Hugging
     * Face's order: temperature, top-k, top-p), renormalised. T must be &gt; 0.
     */
    public static double[] distribution(float[] logits, int offset, int vocab, GenerationConfig config) {
        double t = config.temperature();
        if (!(t > 0)) {
            throw new IllegalArgumentException("distribution() needs temperature > 0; greedy uses argmax");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i] / t);
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(logits[offset + i] / t - max);
            sum += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= sum;
        }
        boolean topK = config.topK() > 0 && config.topK() < vocab;
        boolean topP = config.topP() < 1.0;
        if (!topK && !topP) {
            return p;
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        // descending probability, lower index first on ties: deterministic
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = topK ? config.topK() : vocab;
        if (topP) {
            // top-p on the top-k distribution renormalised, as Hugging Face's warpers apply them in turn: the nucleus
            // is the smallest set whose share of the top-k mass reaches topP
            double topKMass = 0;
            for (int i = 0; i < keep; i++) {
                topKMass += p[order[i]];
            }
            double mass = 0;
            int n = 0;
            while (n < keep) {
                mass += p[order[n]];
                n++;
                if (mass >= config.topP() * topKMass) {
                    break;
                }
            }
            keep = n;
        }
        double[] out = new double[vocab];
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            out[order[i]] = p[order[i]];
            kept += p[order[i]];
        }
        for (int i = 0; i < vocab; i++) {
            out[i] /= kept;
        }
        return out;
    }

    /** Draws one token from a distribution (inverse CDF; the last token with mass absorbs rounding). */
    public static int sample(double[] p, SplittableRandom random) {
        double u = random.nextDouble();
        double c = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                c += p[i];
                last = i;
                if (u < c) {
                    return i;
                }
            }
        }
        if (last < 0) {
            throw new IllegalArgumentException("distribution has no mass");
        }
        return last;
    }

    /**
     * Draws up to {@code n} distinct tokens without replacement (successive draws from the renormalised remainder),
     * the paper's drafting of ranked candidates. Fewer are returned when fewer tokens have mass.
     */
    public static int[] sampleWithoutReplacement(double[] p, int n, SplittableRandom random) {
        double[] rest = p.clone();
        int[] out = new int[n];
        int got = 0;
        while (got < n) {
            double mass = 0;
            for (double v : rest) {
                mass += v;
            }
            if (mass <= 0) {
                break;
            }
            double u = random.nextDouble() * mass;
            double c = 0;
            int pick = -1;
            for (int i = 0; i < rest.length; i++) {
                if (rest[i] > 0) {
                    c += rest[i];
                    pick = i;
                    if (u < c) {
                        break;
                    }
                }
            }
            out[got++] = pick;
            rest[pick] = 0;
        }
        return Arrays.copyOf(out, got);
    }
}
