package io.github.sdsat.train;

/**
 * One batch of equal-length rows, in Java arrays (row-major), ready for one forward pass.
 *
 * @param rows number of rows
 * @param length tokens per row
 * @param tokens input ids [rows × length]
 * @param positions RoPE position of every input [rows × length]
 * @param mask additive attention mask [rows × length × length] (0 or -inf), or null for plain causal attention
 * @param targets the id each input is trained to predict [rows × length] (any valid id where the weight is 0)
 * @param weights the loss weight of each input [rows × length]: the loss is Σ weight · cross-entropy, so the builder
 *     puts 1/count on standard tokens, w/count on SAT tokens and 0 on ignored ones
 * @param kinds {@link #IGNORED}, {@link #STANDARD} or {@link #SAT} per input [rows × length] (for per-kind metrics)
 * @param teacher per input, the flat index of the standard input that predicts the same target token (SAT inputs
 *     of fine-tuning rows), or -1; null when no input has one. The teacher's next-token distribution is what the
 *     model itself predicts for that place, and the target of self-distillation.
 * @param softWeights per input, the weight of the cross-entropy against the teacher's distribution (detached from
 *     the gradient), added to the loss; null for none
 */
public record TrainingBatch(
        int rows,
        int length,
        long[] tokens,
        long[] positions,
        float[] mask,
        long[] targets,
        float[] weights,
        byte[] kinds,
        int[] teacher,
        float[] softWeights) {
    public static final byte IGNORED = 0;
    public static final byte STANDARD = 1;
    public static final byte SAT = 2;

    public TrainingBatch {
        int n = rows * length;
        if (rows <= 0
                || length <= 0
                || tokens.length != n
                || positions.length != n
                || targets.length != n
                || weights.length != n
                || kinds.length != n) {
            throw new IllegalArgumentException("Training batch arrays must all hold rows × length = " + n + " values");
        }
        if (mask != null && mask.length != (long) n * length) {
            throw new IllegalArgumentException("Training batch mask must hold rows × length × length values");
        }
        if ((teacher != null && teacher.length != n) || (softWeights != null && softWeights.length != n)) {
            throw new IllegalArgumentException(
                    "Training batch teacher and softWeights must hold rows × length = " + n + " values");
        }
        if (softWeights != null && teacher == null) {
            throw new IllegalArgumentException("Training batch softWeights need teacher indices");
        }
    }

    /** A batch with hard targets only. */
    public TrainingBatch(
            int rows,
            int length,
            long[] tokens,
            long[] positions,
            float[] mask,
            long[] targets,
            float[] weights,
            byte[] kinds) {
        this(rows, length, tokens, positions, mask, targets, weights, kinds, null, null);
    }

    /** Inputs of the given kind. */
    public int count(byte kind) {
        int c = 0;
        for (byte k : kinds) {
            if (k == kind) {
                c++;
            }
        }
        return c;
    }
}
