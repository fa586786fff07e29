package io.github.sdsat.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Keys and values of every layer, preallocated to a fixed capacity, with a logical length.
 *
 * <p>Slots {@code [0, length)} are committed. A forward pass writes its new tokens' K/V at {@code [length, length+n)}
 * and advances the length; speculative decoders then {@link #truncate} rejected slots away or {@link #compact} an
 * accepted tree path into place. Nothing is ever concatenated, so a step costs no copy of the whole cache.
 *
 * <p>Two storages, chosen by the model that creates the cache: DJL tensors [capacity, kvHeads, headDim] per layer
 * (the DJL forward pass, GPU or CPU) or Java arrays of the same layout (the Java CPU forward pass, {@link
 * CpuForward}). Exactly one of the two is non-null.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    /** Java storage: per layer [capacity, kvHeads, headDim] row-major; null for tensor storage. */
    final float[][] keyRows;

    final float[][] valueRows;
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    private int length;

    KvCache(NDManager parent, LlamaConfig config, int capacity, DataType dtype) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        }
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.keys = new NDArray[config.numLayers()];
        this.values = new NDArray[config.numLayers()];
        Shape shape = new Shape(capacity, kvHeads, headDim);
        for (int i = 0; i < keys.length; i++) {
            keys[i] = manager.zeros(shape, dtype);
            values[i] = manager.zeros(shape, dtype);
        }
        this.keyRows = null;
        this.valueRows = null;
    }

    /** A cache in Java arrays for the CPU forward pass. */
    KvCache(LlamaConfig config, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        }
        this.manager = null;
        this.capacity = capacity;
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.keys = null;
        this.values = null;
        long floats = (long) capacity * kvHeads * headDim;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("A KV cache of " + capacity + " tokens is too large for the CPU path: "
                    + "lower maxNewTokens or the prompt length");
        }
        this.keyRows = new float[config.numLayers()][(int) floats];
        this.valueRows = new float[config.numLayers()][(int) floats];
    }

    boolean inArrays() {
        return keyRows != null;
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Room left for new tokens. */
    public int remaining() {
        return capacity - length;
    }

    /** Forgets every slot from {@code n} on (rejected drafts, SAT tokens). */
    public void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("Cannot truncate a KV cache of length " + length + " to " + n);
        }
        length = n;
    }

    /**
     * Moves the given slots (in this order) to {@code [prefix, prefix + slots.length)} and sets the length to the
     * end of them: the accepted path of a draft tree becomes a contiguous committed sequence.
     */
    public void compact(int prefix, int[] slots) {
        if (prefix < 0 || prefix > length) {
            throw new IllegalArgumentException("Compaction prefix " + prefix + " outside cache length " + length);
        }
        for (int s : slots) {
            if (s < prefix || s >= length) {
                throw new IllegalArgumentException(
                        "Slot " + s + " is not an uncommitted slot in [" + prefix + ", " + length + ")");
            }
        }
        if (slots.length == 0) {
            length = prefix;
            return;
        }
        boolean inPlace = true;
        for (int i = 0; i < slots.length; i++) {
            inPlace &= slots[i] == prefix + i;
        }
        if (!inPlace && inArrays()) {
            int row = kvHeads * headDim;
            float[] gathered = new float[slots.length * row];
            for (float[][] storage : new float[][][] {keyRows, valueRows}) {
                for (float[] layer : storage) {
                    // Gather first (a copy), then write: safe even when source and destination slots overlap.
                    for (int i = 0; i < slots.length; i++) {
                        System.arraycopy(layer, slots[i] * row, gathered, i * row, row);
                    }
                    System.arraycopy(gathered, 0, layer, prefix * row, slots.length * row);
                }
            }
        } else if (!inPlace) {
            try (NDManager step = manager.newSubManager()) {
                long[] idx = new long[slots.length];
                for (int i = 0; i < slots.length; i++) {
                    idx[i] = slots[i];
                }
                NDArray index = step.create(idx);
                for (int layer = 0; layer < keys.length; layer++) {
                    moveRows(keys[layer], index, prefix, step);
                    moveRows(values[layer], index, prefix, step);
                }
            }
        }
        length = prefix + slots.length;
    }

    private void moveRows(NDArray cache, NDArray index, int prefix, NDManager step) {
        // Gather first (a copy), then write: safe even when source and destination slots overlap.
        NDArray flat = cache.reshape(capacity, (long) kvHeads * headDim);
        NDArray picked = JniUtils.embedding((PtNDArray) index, (PtNDArray) flat, false);
        picked.attach(step);
        flat.attach(step);
        NDArray rows = picked.reshape(index.size(), kvHeads, headDim);
        JniUtils.indexSet(
                (PtNDArray) cache,
                (PtNDArray) rows,
                new long[] {prefix},
                new long[] {prefix + index.size()},
                new long[] {1});
    }

    /** Writes new K/V rows at the end and advances the length; called by the forward pass. */
    void append(int layer, NDArray k, NDArray v, long n) {
        JniUtils.indexSet(
                (PtNDArray) keys[layer], (PtNDArray) k, new long[] {length}, new long[] {length + n}, new long[] {1});
        JniUtils.indexSet(
                (PtNDArray) values[layer], (PtNDArray) v, new long[] {length}, new long[] {length + n}, new long[] {1});
    }

    /** Which storage this cache uses, for the forward pass to refuse a cache of another model. */
    void requireStorage(boolean arrays) {
        if (arrays != inArrays()) {
            throw new IllegalArgumentException("This KV cache holds " + (inArrays() ? "Java arrays" : "DJL tensors")
                    + " but the model runs the " + (arrays ? "Java CPU" : "DJL") + " forward pass: create the cache "
                    + "with the same model's newCache");
        }
    }

    void advance(long n) {
        length += (int) n;
    }

    /** View of the first {@code upTo} key slots of a layer, attached to {@code step}. */
    NDArray keys(int layer, long upTo, NDManager step) {
        return JniUtils.index(
                (PtNDArray) keys[layer], new long[] {0}, new long[] {upTo}, new long[] {1}, (PtNDManager) step);
    }

    NDArray values(int layer, long upTo, NDManager step) {
        return JniUtils.index(
                (PtNDArray) values[layer], new long[] {0}, new long[] {upTo}, new long[] {1}, (PtNDManager) step);
    }

    /** Copy of the committed keys of one layer as floats [length, kvHeads, headDim] (for tests and debugging). */
    public float[] committedKeys(int layer) {
        if (inArrays()) {
            return java.util.Arrays.copyOf(keyRows[layer], length * kvHeads * headDim);
        }
        try (NDManager step = manager.newSubManager()) {
            return keys(layer, length, step).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    public float[] committedValues(int layer) {
        if (inArrays()) {
            return java.util.Arrays.copyOf(valueRows[layer], length * kvHeads * headDim);
        }
        try (NDManager step = manager.newSubManager()) {
            return values(layer, length, step).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
