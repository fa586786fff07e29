package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.Map;

/**
 * A Llama-architecture causal LM (Hugging Face conventions, docs/DESIGN.md §3) on DJL's PyTorch engine.
 *
 * <p>{@link #forward} takes explicit positions and an optional additive attention mask over (cached + new) tokens,
 * because speculative decoding feeds non-consecutive positions (draft trees) and non-causal masks (SAT blocks).
 * Two passes behind one interface: the runtime's Java CPU pass ({@link CpuForward}, CPU, float32 arithmetic on weights
 * kept as stored: float32, or bfloat16 at 2 bytes per weight; {@link CheckpointPacker}) and the DJL graph ({@link
 * DjlForward}: GPU, float16, {@code -Dsdsat.cpuKernels=djl}); training uses {@link DjlForward} alone.
 */
public final class LlamaModel implements AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final Device device;
    private final DataType dtype;
    private final FoldedWeights weights;
    /**
     * One decoder pass at a time per model on the DJL pass too (the Java pass's {@link CpuForward#forward} is
     * synchronized): the RoPE tables and the causal mask are replaced as they grow, and another thread must not use
     * the old ones meanwhile. Decoders on one model from several threads are therefore safe and give the outputs of
     * sequential runs, with passes taking turns (docs/DESIGN.md §4).
     */
    private final Object djlPassLock = new Object();
    /** The Java CPU pass ({@link CpuForward}) when this model runs on it, else null (the DJL pass). */
    private final CpuForward cpu;
    /** The DJL pass when this model runs on it, else null (the Java pass). */
    private final DjlForward djl;

    private LlamaModel(LlamaConfig config, NDManager manager, Device device, DataType dtype, FoldedWeights weights) {
        this(config, manager, device, dtype, weights, null);
    }

    private LlamaModel(
            LlamaConfig config,
            NDManager manager,
            Device device,
            DataType dtype,
            FoldedWeights weights,
            CpuForward cpu) {
        this.cpu = cpu;
        this.config = config;
        this.manager = manager;
        this.device = device;
        this.dtype = dtype;
        this.weights = weights;
        // The Java pass computes its own RoPE tables, sized by the positions it meets: no DJL constants.
        this.djl = cpu != null ? null : new DjlForward(config, manager, device, dtype);
    }

    /**
     * Loads a Hugging Face model folder (config.json + safetensors) for inference.
     *
     * @param device where to run (e.g. {@link Device#cpu()}, {@link Device#gpu()})
     * @param dtype float32 on CPU; float16 is sensible on GPU only
     */
    public static LlamaModel load(java.nio.file.Path folder, Device device, DataType dtype) {
        try (Checkpoint ckpt = Checkpoint.open(folder)) {
            ckpt.validateAgainst(ckpt.config());
            return fromSource(ckpt.config(), ckpt, device, dtype);
        }
    }

    /** Builds an inference model from any weight source (a checkpoint, trained parameters, random weights). */
    public static LlamaModel fromSource(LlamaConfig config, WeightSource source, Device device, DataType dtype) {
        return fromSource(config, source, device, dtype, System.getProperty("sdsat.cpuKernels", "java"), cpuThreads());
    }

    /**
     * As {@link #fromSource(LlamaConfig, WeightSource, Device, DataType)} with the CPU pass chosen explicitly (tests
     * and benchmarks compare them in one JVM).
     *
     * @param cpuKernels {@code java} (vector API when available), {@code scalar} or {@code djl}
     */
    static LlamaModel fromSource(
            LlamaConfig config, WeightSource source, Device device, DataType dtype, String cpuKernels, int threads) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("Unsupported compute dtype " + dtype + ": use float32 or float16");
        }
        CpuKernels kernels = cpuKernelsFor(cpuKernels, device, dtype); // checked before any expensive work
        Engine engine = Engine.getEngine("PyTorch");
        NDManager manager = engine.newBaseManager(device);
        try {
            if (kernels != null) {
                // The Java pass packs the stored tensors itself, in their own precision, without DJL and without
                // folding (CheckpointPacker): nothing of the weights passes through float32 NDArrays.
                CheckpointPacker.Packed packed = CheckpointPacker.pack(config, source, kernels.tileWidth());
                CpuForward cpu = CpuForward.fromPacked(config, packed, kernels, threads);
                return new LlamaModel(config, manager, device, dtype, null, cpu);
            }
            JniUtils.setGradMode(false);
            try (LlamaParameters params = LlamaParameters.load(config, source, manager)) {
                FoldedWeights folded = FoldedWeights.fold(params, manager.newSubManager(), device, dtype)
                        .ownAll();
                return new LlamaModel(config, manager, device, dtype, folded);
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The Java CPU kernels when this model should run on them: on the CPU in float32, unless {@code
     * -Dsdsat.cpuKernels=djl} asks for the DJL pass ({@code scalar} forces the plain-Java kernels).
     */
    private static CpuKernels cpuKernelsFor(String choice, Device device, DataType dtype) {
        if (!java.util.List.of("java", "scalar", "djl").contains(choice)) {
            throw new IllegalArgumentException("Unknown sdsat.cpuKernels '" + choice + "': use java (default: the "
                    + "vector-API CPU pass), scalar (its plain-Java fallback) or djl (PyTorch through DJL)");
        }
        if ("djl".equals(choice) || !Device.Type.CPU.equals(device.getDeviceType()) || dtype != DataType.FLOAT32) {
            return null;
        }
        return "scalar".equals(choice) ? new ScalarCpuKernels() : CpuKernels.best();
    }

    /**
     * Threads of the Java CPU pass: {@code -Dsdsat.cpuThreads}, default half the available processors (at least 1).
     *
     * <p>Why not all of them: the pass splits each product over the threads, and a thread that the OS deschedules
     * (another process on the core, or the SMT sibling busy) stalls every product of the pass. Measured on the
     * 2-vCPU machine of docs/PERFORMANCE.md: on an idle machine two threads decode the embedded model at 2,022
     * tokens/s against 1,347 for one, but with one vCPU busy elsewhere two threads fell to 711 against 1,727. Half the
     * processors keeps one free for the rest of the system (Maven, the OS, a second JVM); set the property to use
     * them all on an idle machine.
     */
    static int cpuThreads() {
        String value = System.getProperty("sdsat.cpuThreads");
        int available = Runtime.getRuntime().availableProcessors();
        if (value == null || value.isBlank()) {
            return Math.max(1, available / 2);
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("sdsat.cpuThreads must be a positive integer (this machine has " + available
                + " processors), got '" + value + "'");
    }

    /** Calls of {@link #clock()} so far (tests check that every timed path waits for the device). */
    private final java.util.concurrent.atomic.AtomicLong clockReads = new java.util.concurrent.atomic.AtomicLong();

    /**
     * {@link System#nanoTime()} read after every op queued on this model's device has finished: the clock every
     * timing of a pass or a generation reads. On a GPU, ops are queued asynchronously and a clock read right after a
     * call would time the queueing, not the work; DJL 0.36 has no stream-synchronize call, so this copies one value
     * to the host ({@code NDArray.toFloatArray()}, a blocking device-to-host copy on PyTorch's current stream, which
     * returns only when every op queued before it has run). On the CPU both passes run synchronously: nothing to
     * wait for.
     */
    public long clock() {
        clockReads.incrementAndGet();
        if (djl != null && device.isGpu()) {
            try (NDArray marker = manager.zeros(new Shape(1), DataType.FLOAT32)) {
                marker.toFloatArray();
            }
        }
        return System.nanoTime();
    }

    /** Passes counted at this model's boundary (what the reproduction gates count instead of a decoder's counter). */
    private final PassMeter passMeter = new PassMeter();

    /** Every forward pass this model has run, by width: see {@link PassMeter}. */
    public PassMeter passMeter() {
        return passMeter;
    }

    /** How many times {@link #clock()} was read on this model. */
    public long clockReads() {
        return clockReads.get();
    }

    /** Which forward pass runs: "djl (cpu, float32)" or "java vector (512-bit), 2 threads" (for reports). */
    public String backend() {
        return cpu != null ? cpu.describe() : "djl (" + device + ", " + dtype + ")";
    }

    /**
     * Bytes of weights a pass reads, for the roofline and the achieved bandwidth: the Java pass's packed matrices (2
     * bytes per bfloat16 weight, 4 per float32 or float16-widened one), or
     * on the DJL pass every tensor of the checkpoint once in the compute dtype, the embedding table counted as the
     * LM head (a pass reads only the embedding rows of its tokens).
     */
    public long weightBytesPerPass() {
        if (cpu != null) {
            return cpu.weightBytesPerPass();
        }
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

    public LlamaConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return device;
    }

    public DataType dtype() {
        return dtype;
    }

    /** A KV cache for this model holding up to {@code capacity} tokens. */
    public KvCache newCache(int capacity) {
        if (capacity > config.maxPositions()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds the model's "
                    + "max_position_embeddings " + config.maxPositions());
        }
        if (djl != null) {
            djl.ensureRope(capacity);
        }
        return cpu != null ? new KvCache(config, capacity) : new KvCache(manager, config, capacity, dtype);
    }

    /**
     * The decoders' pass: feeds {@code tokens} at {@code positions} after the cached ones and returns the logits rows
     * from {@code logitsFrom} on, flattened as float32 [tokens.length - logitsFrom, vocab]. The new tokens' K/V are
     * appended to the cache.
     *
     * @param mask additive float mask [tokens.length, cache.length() + tokens.length] row-major, or null for causal
     */
    public float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        if (cpu != null) {
            passMeter.count(tokens.length);
            return cpu.forward(cache, tokens, positions, mask, logitsFrom);
        }
        synchronized (djlPassLock) {
            try (NDManager step = manager.newSubManager()) {
                return forwardFromArrays(step, cache, tokens, positions, mask, logitsFrom)
                        .toFloatArray();
            }
        }
    }

    /** Greedy choice (argmax) of each logits row from {@code logitsFrom} on; see {@link #logits}. */
    public long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        if (cpu != null) {
            passMeter.count(tokens.length);
            return Argmax.rows(cpu.forward(cache, tokens, positions, mask, logitsFrom), config.vocabSize());
        }
        synchronized (djlPassLock) {
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
        return forward(step.create(tokens), step.create(positions), maskArray, cache, logitsFrom);
    }

    /** Logits for every new token: see {@link DjlForward#forward}. */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray mask, KvCache cache) {
        return forward(tokens, positions, mask, cache, 0);
    }

    /** Logits for the new tokens from row {@code logitsFrom} on (prefill needs only the last row). */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom) {
        if (cpu != null) {
            return forwardOnCpu(tokens, positions, mask, cache, (int) logitsFrom);
        }
        passMeter.count((int) tokens.getShape().get(tokens.getShape().dimension() - 1));
        return djl.forward(weights, tokens, positions, mask, cache, logitsFrom);
    }

    /** The NDArray form of a pass on the Java CPU path (tests, tools): arrays in, logits NDArray out. */
    private NDArray forwardOnCpu(NDArray tokens, NDArray positions, NDArray mask, KvCache cache, int logitsFrom) {
        Shape ts = tokens.getShape();
        if (!positions.getShape().equals(ts) || ts.dimension() < 1 || ts.dimension() > 2) {
            throw new IllegalArgumentException("tokens must be [n] or [batch, n] with positions of the same shape, "
                    + "got " + ts + " and " + positions.getShape());
        }
        boolean batched = ts.dimension() == 2;
        if (cache != null && batched) {
            throw new IllegalArgumentException("A KV cache serves one sequence: pass tokens as [n]");
        }
        int b = batched ? (int) ts.get(0) : 1;
        int n = (int) ts.get(ts.dimension() - 1);
        long[] ids = tokens.toType(DataType.INT64, false).toLongArray();
        long[] pos = positions.toType(DataType.INT64, false).toLongArray();
        float[] masks =
                mask == null ? null : mask.toType(DataType.FLOAT32, false).toFloatArray();
        int rows = n - logitsFrom;
        int vocab = config.vocabSize();
        float[] logits = new float[b * rows * vocab];
        for (int s = 0; s < b; s++) {
            KvCache own = cache != null ? cache : newCache(n);
            try {
                int total = own.length() + n;
                float[] rowMask = null;
                if (masks != null) {
                    // a [n, total] mask serves every sequence; a [batch, n, n] mask has one block per sequence
                    int per = n * total;
                    rowMask = masks.length == per ? masks : Arrays.copyOfRange(masks, s * per, (s + 1) * per);
                }
                passMeter.count(n);
                float[] one = cpu.forward(
                        own,
                        Arrays.copyOfRange(ids, s * n, (s + 1) * n),
                        Arrays.copyOfRange(pos, s * n, (s + 1) * n),
                        rowMask,
                        logitsFrom);
                System.arraycopy(one, 0, logits, s * rows * vocab, one.length);
            } finally {
                if (own != cache) {
                    own.close();
                }
            }
        }
        Shape shape = batched ? new Shape(b, rows, vocab) : new Shape(rows, vocab);
        return tokens.getManager().create(logits, shape);
    }

    /** Additive mask value that blocks attention. */
    public static float blocked() {
        return Float.NEGATIVE_INFINITY;
    }

    @Override
    public void close() {
        if (cpu != null) {
            cpu.close();
        }
        manager.close();
    }
}
