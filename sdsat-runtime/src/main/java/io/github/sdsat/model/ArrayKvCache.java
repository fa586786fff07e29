package io.github.sdsat.model;

import java.util.Arrays;

/** The Java CPU pass's KV cache ({@link CpuForward}): per layer a float array [capacity, kvHeads, headDim] row-major. */
final class ArrayKvCache extends KvSlots {
    /** Per layer [capacity, kvHeads, headDim] row-major: the pass writes slot s of layer l at keyRows[l][s * row]. */
    final float[][] keyRows;

    final float[][] valueRows;

    ArrayKvCache(LlamaConfig config, int capacity) {
        super(config, capacity);
        long floats = (long) capacity * kvHeads * headDim;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("A KV cache of " + capacity + " tokens is too large for the CPU path: "
                    + "lower maxNewTokens or the prompt length");
        }
        this.keyRows = new float[config.numLayers()][(int) floats];
        this.valueRows = new float[config.numLayers()][(int) floats];
    }

    /** {@code cache} as the Java pass's storage, or a clear refusal of a cache another pass created. */
    static ArrayKvCache of(KvCache cache) {
        if (cache instanceof ArrayKvCache arrays) {
            return arrays;
        }
        throw new IllegalArgumentException("This KV cache holds " + storageOf(cache) + " but the model runs the Java "
                + "CPU forward pass: create the cache with the same model's newCache");
    }

    /** What a cache holds, for the refusals of a cache of another pass. */
    static String storageOf(KvCache cache) {
        return cache instanceof ArrayKvCache
                ? "Java arrays"
                : cache instanceof TensorKvCache
                        ? "DJL tensors"
                        : cache.getClass().getName();
    }

    @Override
    void moveSlots(int prefix, int[] slots) {
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
    }

    @Override
    public float[] committedKeys(int layer) {
        return Arrays.copyOf(keyRows[layer], length() * kvHeads * headDim);
    }

    @Override
    public float[] committedValues(int layer) {
        return Arrays.copyOf(valueRows[layer], length() * kvHeads * headDim);
    }

    /** Nothing to release: the arrays are garbage once the cache is unreachable. */
    @Override
    public void close() {}
}
