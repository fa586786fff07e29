package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The DJL pass for inference: the graph of {@link DjlForward} on weights folded once ({@link FoldedWeights}), on a
 * GPU, in float16, or on the CPU with {@code -Dsdsat.cpuKernels=djl}. Its KV cache is DJL tensors ({@link
 * TensorKvCache}).
 */
final class DjlPass implements ForwardPass {
    private final LlamaConfig config;
    /** The model's manager: the per-call sub-managers and the caches hang from it. */
    private final NDManager manager;

    private final Device device;
    private final DataType dtype;
    private final FoldedWeights weights;
    private final DjlForward graph;
    /**
     * One pass at a time (the Java pass's {@link CpuForward#logits} is synchronized too): the RoPE tables and the
     * causal mask are replaced as they grow, and another thread must not use the old ones meanwhile. Decoders on one
     * model from several threads are therefore safe and give the outputs of sequential runs, with passes taking turns
     * (docs/DESIGN.md §4).
     */
    private final Object passLock = new Object();

    DjlPass(LlamaConfig config, NDManager manager, Device device, DataType dtype, FoldedWeights weights) {
        this.config = config;
        this.manager = manager;
        this.device = device;
        this.dtype = dtype;
        this.weights = weights;
        this.graph = new DjlForward(config, manager, device, dtype);
    }

    @Override
    public KvCache newCache(int capacity) {
        TensorKvCache cache = new TensorKvCache(manager, config, capacity, dtype);
        graph.ensureRope(capacity);
        return cache;
    }

    @Override
    public float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        synchronized (passLock) {
            try (NDManager step = manager.newSubManager()) {
                return forwardFromArrays(step, cache, tokens, positions, mask, logitsFrom)
                        .toFloatArray();
            }
        }
    }

    @Override
    public long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        synchronized (passLock) {
            try (NDManager step = manager.newSubManager()) {
                NDArray logits = forwardFromArrays(step, cache, tokens, positions, mask, logitsFrom);
                return JniUtils.argMax((PtNDArray) logits, -1, false).toLongArray();
            }
        }
    }

    private NDArray forwardFromArrays(
            NDManager step, KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        NDArray maskArray = null;
        if (mask != null) {
            int total = cache.length() + tokens.length;
            maskArray = step.create(mask, new Shape(tokens.length, total));
        }
        return graph.forward(weights, step.create(tokens), step.create(positions), maskArray, cache, logitsFrom);
    }

    @Override
    public NDArray forward(
            NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom, IntConsumer countPass) {
        countPass.accept((int) tokens.getShape().get(tokens.getShape().dimension() - 1)); // a batch is one pass
        return graph.forward(weights, tokens, positions, mask, cache, logitsFrom);
    }

    @Override
    public String describe() {
        return "djl (" + device + ", " + dtype + ")";
    }

    @Override
    public String weightPrecision() {
        return dtype == DataType.FLOAT16 ? "float16" : "float32";
    }

    /**
     * Every tensor of the checkpoint once in the compute dtype, the embedding table counted as the LM head (a pass
     * reads only the embedding rows of its tokens).
     */
    @Override
    public long weightBytesPerPass() {
        long elements = 0;
        for (Map.Entry<String, long[]> e : config.tensorShapes().entrySet()) {
            if (e.getKey().equals(LlamaArchitecture.Part.EMBED_TOKENS.tensorName()) && !config.tieWordEmbeddings()) {
                continue; // untied: the LM head is a tensor of its own, and the table is only indexed
            }
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            elements += n;
        }
        return elements * (dtype == DataType.FLOAT16 ? 2 : 4);
    }

    /**
     * On a GPU, ops are queued asynchronously; DJL 0.36 has no stream-synchronize call, so this copies one value to
     * the host ({@code NDArray.toFloatArray()}, a blocking device-to-host copy on PyTorch's current stream, which
     * returns only when every op queued before it has run). On the CPU the ops run synchronously.
     */
    @Override
    public void awaitDevice() {
        if (device.isGpu()) {
            try (NDArray marker = manager.zeros(new Shape(1), DataType.FLOAT32)) {
                marker.toFloatArray();
            }
        }
    }

    /** The weights and the graph's constants live on the model's manager, closed with the model. */
    @Override
    public void close() {}
}
