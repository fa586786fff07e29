package io.github.sdsat.model;

/**
 * The Java CPU pass's KV cache ({@link CpuForward}): per layer a float array [kvHeads, capacity, headDim] row-major.
 *
 * <p>Why head-major: attention runs head by head ({@link CpuAttention}), and every row of a pass reads the same head's
 * keys and values. Stored slot-major ([capacity, kvHeads, headDim]) one head's keys are headDim floats every kvHeads *
 * headDim (16 KiB apart on a 7B shape): addresses that fall into a few cache sets and that the prefetchers do not
 * follow. Head-major, a head's keys are one run of slots * headDim floats. Measured on the 7B shape's attention alone
 * (32 layers at 512 cached tokens, 2 threads, both layouts alternating in one process;
 * docs/performance/paper-scale/round5): a one-token pass's attention 24-26 ms slot-major against 14-16 ms
 * head-major, a 4-row pass's 55-58 against 30-32 ms. Values and summation order are the same either way.
 */
final class ArrayKvCache extends KvSlots {
    /** Per layer [kvHeads, capacity, headDim] row-major: slot s of head h of layer l at keyRows[l][offset(h, s)]. */
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

    /** Where slot {@code slot} of K/V head {@code kvHead} starts in a layer's array. */
    int offset(int kvHead, int slot) {
        return (kvHead * capacity + slot) * headDim;
    }

    /** Floats between one slot of a head and the next in a layer's array. */
    int slotStride() {
        return headDim;
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
        float[] gathered = new float[slots.length * headDim];
        for (float[][] storage : new float[][][] {keyRows, valueRows}) {
            for (float[] layer : storage) {
                for (int h = 0; h < kvHeads; h++) {
                    // Gather first (a copy), then write: safe even when source and destination slots overlap.
                    for (int i = 0; i < slots.length; i++) {
                        System.arraycopy(layer, offset(h, slots[i]), gathered, i * headDim, headDim);
                    }
                    System.arraycopy(gathered, 0, layer, offset(h, prefix), slots.length * headDim);
                }
            }
        }
    }

    @Override
    public float[] committedKeys(int layer) {
        return slotMajor(keyRows[layer]);
    }

    @Override
    public float[] committedValues(int layer) {
        return slotMajor(valueRows[layer]);
    }

    /** The committed slots of one layer in the interface's layout, [length, kvHeads, headDim] row-major. */
    private float[] slotMajor(float[] layer) {
        int length = length();
        float[] out = new float[length * kvHeads * headDim];
        for (int s = 0; s < length; s++) {
            for (int h = 0; h < kvHeads; h++) {
                System.arraycopy(layer, offset(h, s), out, (s * kvHeads + h) * headDim, headDim);
            }
        }
        return out;
    }

    /** Nothing to release: the arrays are garbage once the cache is unreachable. */
    @Override
    public void close() {}
}
