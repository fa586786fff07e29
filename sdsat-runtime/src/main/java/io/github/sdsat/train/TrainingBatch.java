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
 */
public record TrainingBatch(int rows, int length, long[] tokens, long[] positions, float[] mask, long[] targets,
        float[] weights, byte[] kinds) {
    public static final byte IGNORED = 0;
    public static final byte STANDARD = 1;
    public static final byte SAT = 2;

    public TrainingBatch {
        int n = rows * length;
        if (rows <= 0 || length <= 0 || tokens.length != n || positions.length != n || targets.length != n
                || weights.length != n || kinds.length != n) {
            throw new IllegalArgumentException("Training batch arrays must all hold rows × length = " + n
                    + " values");
        }
        if (mask != null && mask.length != (long) n * length) {
            throw new IllegalArgumentException("Training batch mask must hold rows × length × length values");
        }
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
