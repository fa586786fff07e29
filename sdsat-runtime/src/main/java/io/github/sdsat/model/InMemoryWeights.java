package io.github.sdsat.model;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;

/** Named float32 tensors held in Java arrays (weights made by code: tests, training snapshots). */
public final class InMemoryWeights implements WeightSource {
    private final Map<String, float[]> tensors;

    public InMemoryWeights(Map<String, float[]> tensors) {
        this.tensors = Map.copyOf(tensors);
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public FloatBuffer tensor(String name, long... expectedShape) {
        float[] data = tensors.get(name);
        if (data == null) {
            throw new IllegalArgumentException("Missing tensor " + name + " (have " + tensors.size() + " tensors)");
        }
        long size = Arrays.stream(expectedShape).reduce(1, (a, b) -> a * b);
        if (data.length != size) {
            throw new IllegalArgumentException("Tensor " + name + " has " + data.length + " values but shape "
                    + Arrays.toString(expectedShape) + " needs " + size);
        }
        return FloatBuffer.wrap(data);
    }
}
