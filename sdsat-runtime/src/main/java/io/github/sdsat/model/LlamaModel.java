package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A Llama-architecture causal LM (Hugging Face conventions, docs/DESIGN.md §3) behind one pass API.
 *
 * <p>{@link #forward} takes explicit positions and an optional additive attention mask over (cached + new) tokens,
 * because speculative decoding feeds non-consecutive positions (draft trees) and non-causal masks (SAT blocks).
 * Two passes behind one interface ({@link ForwardPass}), chosen when the model is built: the runtime's Java CPU pass
 * ({@link CpuForward}, CPU, float32 arithmetic on weights kept as stored: float32, or bfloat16 at 2 bytes per
 * weight; {@link CheckpointPacker}) and the DJL graph ({@link DjlPass} over {@link DjlForward}: GPU, float16,
 * {@code -Dsdsat.cpuKernels=djl}); training uses {@link DjlForward} alone. This class counts every pass at its
 * boundary ({@link PassMeter}) and delegates the rest to the pass, which creates its own {@link KvCache}.
 */
public final class LlamaModel implements AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final Device device;
    private final DataType dtype;
    /** The Java CPU pass ({@link CpuForward}) or the DJL graph ({@link DjlPass}): every pass runs there. */
    private final ForwardPass pass;

    private LlamaModel(LlamaConfig config, NDManager manager, Device device, DataType dtype, ForwardPass pass) {
        this.config = config;
        this.manager = manager;
        this.device = device;
        this.dtype = dtype;
        this.pass = pass;
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
                return new LlamaModel(config, manager, device, dtype, cpu);
            }
            JniUtils.setGradMode(false);
            try (LlamaParameters params = LlamaParameters.load(config, source, manager)) {
                FoldedWeights folded = FoldedWeights.fold(params, manager.newSubManager(), device, dtype)
                        .ownAll();
                return new LlamaModel(
                        config, manager, device, dtype, new DjlPass(config, manager, device, dtype, folded));
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
     * call would time the queueing, not the work, so the pass waits for its device first ({@link
     * ForwardPass#awaitDevice}: the DJL pass copies one value to the host on a GPU). On the CPU both passes run
     * synchronously: nothing to wait for.
     */
    public long clock() {
        clockReads.incrementAndGet();
        pass.awaitDevice();
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
        return pass.describe();
    }

    /**
     * The weights' precision as the pass holds them, for a report's dtype: "float32", "float16" (the DJL pass in
     * float16) or "bfloat16" (a bfloat16 checkpoint on the Java pass, whose arithmetic is float32: not "float32",
     * which would claim 4 bytes per weight). A float16 checkpoint on the Java pass is widened to float32 when loaded
     * (exactly) and held so: "float32".
     */
    public String weightPrecision() {
        return pass.weightPrecision();
    }

    /**
     * Bytes of weights a pass reads, for the roofline and the achieved bandwidth: the Java pass's packed matrices (2
     * bytes per bfloat16 weight, 4 per float32 or float16-widened one), or
     * on the DJL pass every tensor of the checkpoint once in the compute dtype, the embedding table counted as the
     * LM head (a pass reads only the embedding rows of its tokens).
     */
    public long weightBytesPerPass() {
        return pass.weightBytesPerPass();
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

    /**
     * A KV cache for this model holding up to {@code capacity} tokens (at most the context), stored as its pass needs
     * (Java arrays or DJL tensors: callers need not know which).
     */
    public KvCache newCache(int capacity) {
        return pass.newCache(capacity);
    }

    /**
     * The decoders' pass: feeds {@code tokens} at {@code positions} after the cached ones and returns the logits rows
     * from {@code logitsFrom} on, flattened as float32 [tokens.length - logitsFrom, vocab]. The new tokens' K/V are
     * appended to the cache.
     *
     * @param mask additive float mask [tokens.length, cache.length() + tokens.length] row-major, or null for causal
     */
    public float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        passMeter.count(tokens.length);
        return pass.logits(cache, tokens, positions, mask, logitsFrom);
    }

    /** Greedy choice (argmax) of each logits row from {@code logitsFrom} on; see {@link #logits}. */
    public long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        passMeter.count(tokens.length);
        return pass.argmax(cache, tokens, positions, mask, logitsFrom);
    }

    /** Logits for every new token: see {@link DjlForward#forward}. */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray mask, KvCache cache) {
        return forward(tokens, positions, mask, cache, 0);
    }

    /**
     * Logits for the new tokens from row {@code logitsFrom} on (prefill needs only the last row), the NDArray form:
     * tokens and positions int64 [n] (with a cache) or [batch, n] (without); see {@link ForwardPass#forward}.
     */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom) {
        return pass.forward(tokens, positions, mask, cache, logitsFrom, passMeter::count);
    }

    /** Additive mask value that blocks attention. */
    public static float blocked() {
        return Float.NEGATIVE_INFINITY;
    }

    @Override
    public void close() {
        pass.close();
        manager.close();
    }
}
