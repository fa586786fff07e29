package io.github.sdsat.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.LlamaParameters;
import java.util.List;

/**
 * Held-out metrics of a trained model: next-token loss and accuracy on standard tokens, and SAT draft accuracy —
 * how often SAT i (fed as {@code [prompt, SAT×k]}, as the SDSAT decoder feeds it) predicts the token the model's own
 * greedy decoding puts at that place. Leading matches per prompt estimate how many drafts a greedy verification
 * would accept per loop (the decoders measure the real number).
 */
public final class ModelEvaluation {
    /**
     * @param standardLoss mean next-token cross-entropy over held-out standard tokens
     * @param standardAccuracy argmax accuracy on them
     * @param draftAccuracy per offset i = 1..k: share of prompts whose SAT i equals greedy token i + 1
     * @param meanLeadingMatches mean over prompts of the number of leading SAT drafts that match greedy decoding
     * @param unigramAccuracy per offset: accuracy of always drafting the corpus's most frequent token (baseline)
     */
    public record Metrics(
            double standardLoss,
            double standardAccuracy,
            double[] draftAccuracy,
            double meanLeadingMatches,
            double[] unigramAccuracy,
            int prompts) {}

    private ModelEvaluation() {}

    /** Mean loss and accuracy of standard tokens over the batches. */
    public static double[] standardLossAndAccuracy(TrainingStep step, List<TrainingBatch> batches) {
        double loss = 0;
        double hits = 0;
        int n = 0;
        for (TrainingBatch b : batches) {
            TrainingStep.Outcome o = step.evaluate(b);
            for (int i = 0; i < b.kinds().length; i++) {
                if (b.kinds()[i] == TrainingBatch.STANDARD) {
                    loss += o.crossEntropy()[i];
                    hits += o.argmaxCorrect()[i] ? 1 : 0;
                    n++;
                }
            }
        }
        return new double[] {loss / n, hits / n};
    }

    /**
     * Evaluates a model.
     *
     * @param prompts held-out prompts, all of the same length
     * @param k number of SAT tokens (drafts) per pass
     * @param mostFrequentToken the corpus's most frequent token (the unigram baseline's draft)
     */
    public static Metrics evaluate(
            LlamaParameters params,
            List<TrainingBatch> heldOut,
            long[][] prompts,
            long satId,
            int k,
            long mostFrequentToken) {
        try (TrainingStep step = new TrainingStep(params)) {
            double[] standard = standardLossAndAccuracy(step, heldOut);
            int m = prompts.length;
            long[][] greedy = greedyContinuations(step, prompts, k + 1);
            long[][] drafts = satDrafts(step, prompts, satId, k);
            double[] accuracy = new double[k];
            double[] unigram = new double[k];
            double leading = 0;
            for (int r = 0; r < m; r++) {
                boolean stillMatching = true;
                for (int i = 1; i <= k; i++) {
                    boolean hit = drafts[r][i - 1] == greedy[r][i];
                    accuracy[i - 1] += hit ? 1.0 / m : 0;
                    unigram[i - 1] += greedy[r][i] == mostFrequentToken ? 1.0 / m : 0;
                    stillMatching &= hit;
                    leading += stillMatching ? 1 : 0;
                }
            }
            return new Metrics(standard[0], standard[1], accuracy, leading / m, unigram, m);
        }
    }

    /** The model's greedy continuation (count tokens) of each prompt, batched, without a cache. */
    static long[][] greedyContinuations(TrainingStep step, long[][] prompts, int count) {
        int m = prompts.length;
        int p = prompts[0].length;
        long[][] out = new long[m][count];
        for (int i = 0; i < count; i++) {
            int len = p + i;
            long[] tokens = new long[m * len];
            long[] positions = new long[m * len];
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < len; c++) {
                    tokens[r * len + c] = c < p ? prompts[r][c] : out[r][c - p];
                    positions[r * len + c] = c;
                }
            }
            long[] lastArgmax = lastArgmax(step, m, len, tokens, positions, 1);
            for (int r = 0; r < m; r++) {
                out[r][i] = lastArgmax[r];
            }
        }
        return out;
    }

    /** Argmax of SAT 1..k fed after each prompt ([prompt, SAT×k], causal: SAT i sees the prompt and SATs ≤ i). */
    static long[][] satDrafts(TrainingStep step, long[][] prompts, long satId, int k) {
        int m = prompts.length;
        int p = prompts[0].length;
        int len = p + k;
        long[] tokens = new long[m * len];
        long[] positions = new long[m * len];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < len; c++) {
                tokens[r * len + c] = c < p ? prompts[r][c] : satId;
                positions[r * len + c] = c;
            }
        }
        long[] argmax = lastArgmax(step, m, len, tokens, positions, k);
        long[][] out = new long[m][k];
        for (int r = 0; r < m; r++) {
            System.arraycopy(argmax, r * k, out[r], 0, k);
        }
        return out;
    }

    /** Argmax over the vocabulary of the last {@code last} rows of each sequence: [m × last]. */
    private static long[] lastArgmax(TrainingStep step, int m, int len, long[] tokens, long[] positions, int last) {
        int n = m * len;
        TrainingBatch batch =
                new TrainingBatch(m, len, tokens, positions, null, new long[n], new float[n], new byte[n]);
        try (NDManager manager = step.parameters().manager().newSubManager()) {
            NDArray logits = step.logits(batch, manager);
            NDArray tail = logits.get(":, " + (len - last) + ":, :");
            NDArray argmax = tail.argMax(-1);
            argmax.attach(manager);
            tail.attach(manager);
            return argmax.toLongArray();
        }
    }
}
