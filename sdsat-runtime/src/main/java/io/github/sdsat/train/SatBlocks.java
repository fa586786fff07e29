package io.github.sdsat.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Builds SDSAT fine-tuning rows in the "equivalent layout" of docs/DESIGN.md §5: the T standard inputs of a window
 * first, then {@code satTokensPerRow} SAT tokens forming blocks, one forward pass for both losses.
 *
 * <p>With 0-based indices: the standard input at index s stands at position s and predicts {@code ids[s + 1]}. A
 * block inserted after the standard input j holds SAT tokens i = 1..len; SAT i stands at position j + i (where
 * {@code ids[j + i]} stands) and is trained to predict {@code ids[j + i + 1]}. It attends to the standard inputs
 * 0..j and to SATs 1..i of its own block. This is what inference feeds: the last accepted token t at position p
 * and k SATs at p+1..p+k, SAT i drafting the token at p+i+1. Standard inputs attend causally to standard inputs
 * only, so their logits are identical to those of the plain window.
 *
 * <p>Insertion points are uniform over the inputs that leave at least one target; block lengths follow a Poisson
 * law truncated to 1..{@code maxBlock}; the last block of a row is cut short to fill the row exactly, so all rows
 * have length T + satTokensPerRow. Loss = mean CE over standard targets + {@code satWeight} × mean SAT term (per
 * batch), where the SAT term is (1 - α) × CE against the true token + α × CE against the model's own next-token
 * distribution at the standard input that predicts the same token ({@code distillation} = α, self-distillation).
 *
 * <p>Why distil: greedy verification accepts a draft when it equals the model's own argmax, not the text's next
 * token; the model's distribution given the true prefix is a less noisy target for that than the one-hot data
 * token (Medusa-2 and DistillSpec use the same idea). The teacher rows are in the same forward pass, so it costs one
 * extra softmax over the SAT rows. α = 0 is the plain method of docs/DESIGN.md §5.
 */
public final class SatBlocks {
    private final PretrainingSamples windows;
    private final long satId;
    private final int satTokensPerRow;
    private final int maxBlock;
    private final double[] lengthCdf;
    private final double satWeight;
    private final double distillation;
    private final long seed;
    private SelfGeneratedText generated;
    private double generatedShare;

    /**
     * @param poissonMean λ of the Poisson law, before truncation to 1..maxBlock
     * @param distillation α in [0, 1]: share of the SAT term taken against the model's own distribution
     */
    public SatBlocks(
            PretrainingSamples windows,
            long satId,
            int satTokensPerRow,
            int maxBlock,
            double poissonMean,
            double satWeight,
            double distillation,
            long seed) {
        if (satTokensPerRow < 1
                || maxBlock < 1
                || !(poissonMean > 0)
                || !(satWeight >= 0)
                || !(distillation >= 0 && distillation <= 1)) {
            throw new IllegalArgumentException("SAT fine-tuning needs satTokensPerRow >= 1, maxBlock (L) >= 1, "
                    + "poissonMean > 0, satWeight >= 0 and distillation in [0, 1]; got " + satTokensPerRow + ", "
                    + maxBlock + ", " + poissonMean + ", " + satWeight + ", " + distillation);
        }
        this.distillation = distillation;
        this.windows = windows;
        this.satId = satId;
        this.satTokensPerRow = satTokensPerRow;
        this.maxBlock = maxBlock;
        this.satWeight = satWeight;
        this.seed = seed;
        this.lengthCdf = truncatedPoissonCdf(poissonMean, maxBlock);
    }

    /**
     * Draws a share of the rows from the model's own greedy text instead of the corpus (see
     * {@link SelfGeneratedText}); which rows do depends only on (seed, step, row).
     */
    public SatBlocks mixing(SelfGeneratedText text, double share) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("The share of self-generated rows must lie in [0, 1], got " + share);
        }
        this.generated = text;
        this.generatedShare = share;
        return this;
    }

    private PretrainingSamples.Window window(long step, int row) {
        if (generated != null && generatedShare > 0) {
            SplittableRandom pick = PretrainingSamples.randomFor(seed ^ 0x6E7L, step, row);
            if (pick.nextDouble() < generatedShare) {
                return generated.window(pick.nextInt(generated.size()));
            }
        }
        return windows.window(step, row);
    }

    /** Cumulative probabilities of block lengths 1..max under Poisson(λ) conditioned on 1 ≤ len ≤ max. */
    static double[] truncatedPoissonCdf(double mean, int max) {
        double[] p = new double[max];
        double term = Math.exp(-mean);
        double sum = 0;
        for (int k = 1; k <= max; k++) {
            term *= mean / k;
            p[k - 1] = term;
            sum += term;
        }
        double acc = 0;
        for (int k = 0; k < max; k++) {
            acc += p[k] / sum;
            p[k] = acc;
        }
        p[max - 1] = 1.0;
        return p;
    }

    int drawLength(SplittableRandom random) {
        double u = random.nextDouble();
        for (int k = 0; k < lengthCdf.length; k++) {
            if (u < lengthCdf[k]) {
                return k + 1;
            }
        }
        return lengthCdf.length;
    }

    public int rowLength() {
        return windows.length() + satTokensPerRow;
    }

    /** The batch of one step. */
    public TrainingBatch batch(long step, int rows) {
        int t = windows.length();
        int len = rowLength();
        int n = rows * len;
        long[] tokens = new long[n];
        long[] positions = new long[n];
        long[] targets = new long[n];
        byte[] kinds = new byte[n];
        int[] teacher = new int[n];
        Arrays.fill(teacher, -1);
        float[] mask = new float[n * len];
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < rows; r++) {
            PretrainingSamples.Window w = window(step, r);
            SplittableRandom random = PretrainingSamples.randomFor(seed ^ 0x5A7L, step, r);
            int rowBase = r * len;
            long maskBase = (long) r * len * len;
            for (int s = 0; s < t; s++) {
                tokens[rowBase + s] = w.ids()[s];
                positions[rowBase + s] = s;
                targets[rowBase + s] = w.ids()[s + 1];
                kinds[rowBase + s] =
                        s + 1 < w.realTokens() && w.trainStandard() ? TrainingBatch.STANDARD : TrainingBatch.IGNORED;
                Arrays.fill(mask, (int) (maskBase + (long) s * len), (int) (maskBase + (long) s * len + s + 1), 0f);
            }
            // the last index whose token can be a target
            int lastTarget = Math.min(t, w.realTokens() - 1);
            int filled = 0;
            while (filled < satTokensPerRow) {
                int block = Math.min(drawLength(random), satTokensPerRow - filled);
                int j = lastTarget >= 2 ? random.nextInt(lastTarget - 1) : 0; // j in [0, lastTarget - 2]
                int blockStart = t + filled;
                for (int i = 1; i <= block; i++) {
                    int at = t + filled;
                    boolean hasTarget = j + i + 1 <= lastTarget;
                    tokens[rowBase + at] = satId;
                    positions[rowBase + at] = j + i;
                    targets[rowBase + at] = hasTarget ? w.ids()[j + i + 1] : 0;
                    kinds[rowBase + at] = hasTarget ? TrainingBatch.SAT : TrainingBatch.IGNORED;
                    // the standard input j + i predicts ids[j + i + 1] too
                    teacher[rowBase + at] = hasTarget ? rowBase + j + i : -1;
                    int rowMask = (int) (maskBase + (long) at * len);
                    Arrays.fill(mask, rowMask, rowMask + j + 1, 0f); // standard inputs 0..j
                    Arrays.fill(mask, rowMask + blockStart, rowMask + at + 1, 0f); // SATs 1..i of this block
                    filled++;
                }
            }
        }
        int standard = 0;
        int sat = 0;
        for (byte k : kinds) {
            standard += k == TrainingBatch.STANDARD ? 1 : 0;
            sat += k == TrainingBatch.SAT ? 1 : 0;
        }
        float[] weights = new float[n];
        float[] softWeights = distillation > 0 ? new float[n] : null;
        for (int i = 0; i < n; i++) {
            boolean isSat = kinds[i] == TrainingBatch.SAT;
            weights[i] = kinds[i] == TrainingBatch.STANDARD
                    ? 1f / standard
                    : isSat ? (float) ((1 - distillation) * satWeight / sat) : 0f;
            if (softWeights != null && isSat) {
                softWeights[i] = (float) (distillation * satWeight / sat);
            }
        }
        return new TrainingBatch(rows, len, tokens, positions, mask, targets, weights, kinds, teacher, softWeights);
    }
}
