package io.github.sdsat.model;

/**
 * Keys and values of every layer, preallocated to a fixed capacity, with a logical length.
 *
 * <p>Slots {@code [0, length)} are committed. A forward pass writes its new tokens' K/V at {@code [length, length+n)}
 * and advances the length; speculative decoders then {@link #truncate} rejected slots away or {@link #compact} an
 * accepted tree path into place. Nothing is ever concatenated, so a step costs no copy of the whole cache.
 *
 * <p>Each forward pass stores its cache its own way and creates it ({@link LlamaModel#newCache}): Java arrays
 * [capacity, kvHeads, headDim] per layer for the Java CPU pass ({@link ArrayKvCache}), DJL tensors of the same layout
 * for the DJL pass ({@link TensorKvCache}). Callers see only this interface; a pass refuses a cache of another kind.
 */
public interface KvCache extends AutoCloseable {
    /** Committed slots. */
    int length();

    /** Slots the cache was created with. */
    int capacity();

    /** Room left for new tokens. */
    default int remaining() {
        return capacity() - length();
    }

    /** Forgets every slot from {@code n} on (rejected drafts, SAT tokens). */
    void truncate(int n);

    /**
     * Moves the given slots (in this order) to {@code [prefix, prefix + slots.length)} and sets the length to the
     * end of them: the accepted path of a draft tree becomes a contiguous committed sequence.
     */
    void compact(int prefix, int[] slots);

    /** Copy of the committed keys of one layer as floats [length, kvHeads, headDim] (for tests and debugging). */
    float[] committedKeys(int layer);

    /** Copy of the committed values of one layer as floats [length, kvHeads, headDim]. */
    float[] committedValues(int layer);

    @Override
    void close();
}
