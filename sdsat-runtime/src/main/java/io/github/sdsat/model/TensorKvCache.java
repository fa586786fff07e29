package io.github.sdsat.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/** The DJL pass's KV cache ({@link DjlPass}): per layer a tensor [capacity, kvHeads, headDim] on the model's device. */
final class TensorKvCache extends KvSlots {
    private final NDManager manager;
    /** Per layer [capacity, kvHeads, headDim] in the compute dtype. */
    private final NDArray[] keys;

    private final NDArray[] values;

    TensorKvCache(NDManager parent, LlamaConfig config, int capacity, DataType dtype) {
        super(config, capacity);
        this.manager = parent.newSubManager();
        this.keys = new NDArray[config.numLayers()];
        this.values = new NDArray[config.numLayers()];
        Shape shape = new Shape(capacity, kvHeads, headDim);
        for (int i = 0; i < keys.length; i++) {
            keys[i] = manager.zeros(shape, dtype);
            values[i] = manager.zeros(shape, dtype);
        }
    }

    /** {@code cache} as the DJL pass's storage, or a clear refusal of a cache another pass created. */
    static TensorKvCache of(KvCache cache) {
        if (cache instanceof TensorKvCache tensors) {
            return tensors;
        }
        throw new IllegalArgumentException("This KV cache holds " + ArrayKvCache.storageOf(cache) + " but the model "
                + "runs the DJL forward pass: create the cache with the same model's newCache");
    }

    @Override
    void moveSlots(int prefix, int[] slots) {
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

    /** Writes new K/V rows [n, kvHeads, headDim] after the committed slots; the pass advances the length after. */
    void append(int layer, NDArray k, NDArray v, long n) {
        int length = length();
        JniUtils.indexSet(
                (PtNDArray) keys[layer], (PtNDArray) k, new long[] {length}, new long[] {length + n}, new long[] {1});
        JniUtils.indexSet(
                (PtNDArray) values[layer], (PtNDArray) v, new long[] {length}, new long[] {length + n}, new long[] {1});
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

    @Override
    public float[] committedKeys(int layer) {
        try (NDManager step = manager.newSubManager()) {
            return keys(layer, length(), step).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @Override
    public float[] committedValues(int layer) {
        try (NDManager step = manager.newSubManager()) {
            return values(layer, length(), step).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
