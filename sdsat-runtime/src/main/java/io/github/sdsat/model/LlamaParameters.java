package io.github.sdsat.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The raw Hugging Face tensors of a Llama model, by their HF names, as float32 NDArrays.
 *
 * <p>This is what a checkpoint stores and what training updates. The DJL pass runs on {@link FoldedWeights}, which
 * are derived from these by differentiable ops, so one forward pass serves both. The Java CPU pass does not use
 * these: it packs the stored tensors itself, in their own precision ({@link CheckpointPacker}).
 */
public final class LlamaParameters implements AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> tensors;

    private LlamaParameters(LlamaConfig config, NDManager manager, Map<String, NDArray> tensors) {
        this.config = config;
        this.manager = manager;
        this.tensors = tensors;
    }

    /**
     * Loads every tensor of the architecture from a source (a checkpoint, usually) as float32: the required ones and
     * the optional ones the source holds ({@link LlamaArchitecture#present}; q/k/v biases, which {@link
     * FoldedWeights} refuses while the pass does not add them).
     */
    public static LlamaParameters load(LlamaConfig config, WeightSource source, NDManager manager) {
        NDManager own = manager.newSubManager();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e :
                    LlamaArchitecture.tensorShapes(config, source::has).entrySet()) {
                FloatBuffer data = source.tensor(e.getKey(), e.getValue());
                NDArray a = own.create(data, new Shape(e.getValue()), DataType.FLOAT32);
                a.setName(e.getKey());
                tensors.put(e.getKey(), a);
            }
        } catch (RuntimeException ex) {
            own.close();
            throw ex;
        }
        return new LlamaParameters(config, own, tensors);
    }

    /**
     * Fresh weights for training from scratch or for tests: linear and embedding weights N(0, std), with the output
     * projections (o_proj, down_proj) scaled by 1/sqrt(2·layers) as in GPT-2, norms at 1.
     */
    public static LlamaParameters initialize(LlamaConfig config, NDManager manager, long seed, double std) {
        NDManager own = manager.newSubManager();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Random random = new Random(seed);
        double residualStd = std / Math.sqrt(2.0 * config.numLayers());
        for (LlamaArchitecture.Tensor tensor : LlamaArchitecture.required(config)) {
            String name = tensor.name();
            long[] shape = tensor.shape(config);
            int n = Math.toIntExact(new Shape(shape).size());
            float[] data = new float[n];
            if (tensor.part().kind() == LlamaArchitecture.Kind.NORM) {
                java.util.Arrays.fill(data, 1f);
            } else {
                double s = tensor.part().writesResidualStream() ? residualStd : std;
                for (int i = 0; i < n; i++) {
                    data[i] = (float) (random.nextGaussian() * s);
                }
            }
            NDArray a = own.create(data, new Shape(shape));
            a.setName(name);
            tensors.put(name, a);
        }
        return new LlamaParameters(config, own, tensors);
    }

    public LlamaConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalArgumentException("No tensor named " + name);
        }
        return a;
    }

    /** Names and arrays in checkpoint order (the map is live: training updates arrays in place). */
    public Map<String, NDArray> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    public List<NDArray> trainable() {
        return new ArrayList<>(tensors.values());
    }

    /** Copies every tensor to Java float arrays, in checkpoint order (for saving). */
    public Map<String, float[]> toFloatArrays() {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** A {@link WeightSource} view of these parameters (for building an inference model from them). */
    public WeightSource asWeightSource() {
        return new WeightSource() {
            @Override
            public boolean has(String name) {
                return tensors.containsKey(name);
            }

            @Override
            public FloatBuffer tensor(String name, long... expectedShape) {
                NDArray a = get(name);
                if (!a.getShape().equals(new Shape(expectedShape))) {
                    throw new IllegalArgumentException("Tensor " + name + " has shape " + a.getShape()
                            + " but the config needs " + new Shape(expectedShape));
                }
                return FloatBuffer.wrap(a.toFloatArray());
            }
        };
    }

    @Override
    public void close() {
        manager.close();
    }
}
