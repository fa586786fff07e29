package io.github.sdsat.repro.support;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The near-tie rate of greedy baselines: at how many generated positions the two largest next-token logits lie
 * within the tie margin, measured with one plain forward pass over each prompt and its baseline
 * ({@link LogitProbe}). Only there can float rounding (batched against one-row passes) flip a correct decoder's
 * argmax, so this rate bounds the numerical ties of the equivalence gate.
 *
 * @param tokens generated positions examined
 * @param nearTiePositions positions whose top-2 logit gap is under the margin
 * @param prompts prompts examined
 * @param promptsWithNearTie prompts whose baseline has at least one such position
 * @param smallestGap the smallest top-2 gap seen
 * @param gapsUnder1e3 positions whose gap is under 1e-3 (ten times the usual margin), for context
 */
public record NearTies(
        long tokens,
        long nearTiePositions,
        int prompts,
        int promptsWithNearTie,
        double smallestGap,
        long gapsUnder1e3,
        double tieMargin,
        int maxNewTokens) {

    public static NearTies measure(ReproModel model, List<ReproPrompt> prompts, int maxNewTokens, double tieMargin) {
        int vocab = model.model().config().vocabSize();
        long tokens = 0;
        long near = 0;
        long under1e3 = 0;
        int withNear = 0;
        double smallest = Double.POSITIVE_INFINITY;
        for (ReproPrompt prompt : prompts) {
            long[] out = BaselineCache.greedy(model, prompt, maxNewTokens).outputIds();
            long[] ids = prompt.ids();
            long[] sequence = Arrays.copyOf(ids, ids.length + out.length - 1);
            System.arraycopy(out, 0, sequence, ids.length, out.length - 1);
            float[] rows = LogitProbe.rows(model.model(), sequence, ids.length - 1); // row i predicts out[i]
            boolean any = false;
            for (int i = 0; i < out.length; i++) {
                double gap = topTwoGap(rows, i * vocab, vocab);
                smallest = Math.min(smallest, gap);
                if (gap < tieMargin) {
                    near++;
                    any = true;
                }
                if (gap < 1e-3) {
                    under1e3++;
                }
            }
            tokens += out.length;
            withNear += any ? 1 : 0;
        }
        return new NearTies(tokens, near, prompts.size(), withNear, smallest, under1e3, tieMargin, maxNewTokens);
    }

    static double topTwoGap(float[] rows, int offset, int vocab) {
        float best = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            float x = rows[offset + v];
            if (x > best) {
                second = best;
                best = x;
            } else if (x > second) {
                second = x;
            }
        }
        return (double) best - second;
    }

    public double promptShareWithNearTie() {
        return prompts == 0 ? 0 : (double) promptsWithNearTie / prompts;
    }

    /** One-sided 95% upper bound of the per-token near-tie rate (exact binomial; 3/n when none was seen). */
    public double rateUpperBound95() {
        if (nearTiePositions == 0) {
            return 1 - Math.pow(0.05, 1.0 / tokens);
        }
        double low = (double) nearTiePositions / tokens;
        double high = 1;
        for (int i = 0; i < 100; i++) { // bisection on P(X <= observed | rate) = 0.05
            double mid = (low + high) / 2;
            if (binomialCdf(nearTiePositions, tokens, mid) > 0.05) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return high;
    }

    private static double binomialCdf(long x, long n, double p) {
        double sum = 0;
        double logTerm = n * Math.log1p(-p); // P(X = 0)
        for (long i = 0; i <= x; i++) {
            sum += Math.exp(logTerm);
            logTerm += Math.log((double) (n - i) / (i + 1)) + Math.log(p) - Math.log1p(-p);
        }
        return sum;
    }

    /**
     * P(at least the observed near-tie positions | {@code rate} per token): small when this model has more near-ties
     * than a documented rate allows, whatever the number of prompts measured.
     */
    public double pValueAtRate(double rate) {
        return nearTiePositions == 0 ? 1.0 : 1 - binomialCdf(nearTiePositions - 1, tokens, rate);
    }

    /** The share of runs of {@code maxNewTokens} tokens that contain a near-tie at the upper-bound rate. */
    public double runShareUpperBound95() {
        return 1 - Math.pow(1 - rateUpperBound95(), maxNewTokens);
    }

    public String summary() {
        return String.format(
                Locale.ROOT,
                "%d of %d generated positions (%d prompts x up to %d tokens) have their two "
                        + "best logits within %.0e (rate %.2e, one-sided 95%% upper bound %.2e per token, so at most %.2f%% of "
                        + "%d-token runs); prompts with a near-tie: %d of %d (%.2f%%); smallest top-2 gap %.3e; gaps under "
                        + "1e-3: %d",
                nearTiePositions,
                tokens,
                prompts,
                maxNewTokens,
                tieMargin,
                (double) nearTiePositions / tokens,
                rateUpperBound95(),
                100 * runShareUpperBound95(),
                maxNewTokens,
                promptsWithNearTie,
                prompts,
                100 * promptShareWithNearTie(),
                smallestGap,
                gapsUnder1e3);
    }
}
