package io.github.sdsat.model;

/**
 * The greedy choice over logits, written once for every caller (the Java pass's argmax rows, the decoders' and the
 * tests' per-row choices): the index of the largest value, the lowest index winning ties, as {@code torch.argmax}
 * chooses, so that the Java and DJL passes and every decoder pick the same token from equal logits.
 */
public final class Argmax {
    private Argmax() {}

    /** Index (from {@code offset}) of the largest of {@code values[offset .. offset + length)}; lowest wins ties. */
    public static int of(float[] values, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    /** {@link #of} of each row of {@code logits}, [rows, vocab] row-major. */
    public static long[] rows(float[] logits, int vocab) {
        long[] ids = new long[logits.length / vocab]; // [rows]
        for (int r = 0; r < ids.length; r++) {
            ids[r] = of(logits, r * vocab, vocab);
        }
        return ids;
    }
}
