package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

import java.util.Arrays;

/**
 * A Llama-architecture causal LM (Hugging Face conventions, docs/DESIGN.md §3) on DJL's PyTorch engine.
 *
 * <p>{@link #forward} takes explicit positions and an optional additive attention mask over (cached + new) tokens,
 * because speculative decoding feeds non-consecutive positions (draft trees) and non-causal masks (SAT blocks).
 * The same code runs under autograd for training ({@link #forward(FoldedWeights, NDArray, NDArray, NDArray,
 * KvCache, long)} with weights folded from trainable parameters).
 *
 * <p>Ops go through {@link JniUtils} on {@link PtNDArray}s directly: the public NDArray API adds Java work per call
 * that is a measurable share of a 4 ms pass on a small model (see docs/PERFORMANCE.md).
 */
public final class LlamaModel implements AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final Device device;
    private final DataType dtype;
    private final FoldedWeights weights;
    /**
     * RoPE cos/sin rows [ropeRows, headDim] for the DJL pass, grown on demand to the positions a pass can meet (the
     * cache capacity), never to max_position_embeddings: a config may claim millions of positions that no run uses.
     */
    private NDArray cosTable;
    private NDArray sinTable;
    /** rotate_half as a matrix: rotate_half(x) = x · R (one ±1 per column, so exact in any float type). */
    private final NDArray rotateHalf;
    private final NDArray eps;
    private NDArray causal;
    private int ropeRows;
    /**
     * One decoder pass at a time per model on the DJL pass too (the Java pass's {@link CpuForward#forward} is
     * synchronized): the RoPE tables and the causal mask are replaced as they grow, and another thread must not use
     * the old ones meanwhile. Decoders on one model from several threads are therefore safe and give the outputs of
     * sequential runs, with passes taking turns (docs/DESIGN.md §4).
     */
    private final Object djlPassLock = new Object();
    /** The Java CPU pass ({@link CpuForward}) when this model runs on it, else null (the DJL pass). */
    private final CpuForward cpu;

    private LlamaModel(LlamaConfig config, NDManager manager, Device device, DataType dtype, FoldedWeights weights) {
        this(config, manager, device, dtype, weights, null);
    }

    private LlamaModel(LlamaConfig config, NDManager manager, Device device, DataType dtype, FoldedWeights weights,
            CpuForward cpu) {
        this.cpu = cpu;
        this.config = config;
        this.manager = manager;
        this.device = device;
        this.dtype = dtype;
        this.weights = weights;
        if (cpu != null) {
            // The Java pass computes its own RoPE tables, sized by the positions it meets: no DJL constants.
            this.rotateHalf = null;
            this.eps = null;
            return;
        }
        int hd = config.headDim();
        int half = hd / 2;
        float[] r = new float[hd * hd];
        for (int j = 0; j < half; j++) {
            r[(j + half) * hd + j] = -1f; // out[j] = -x[j + half]
            r[j * hd + (j + half)] = 1f; // out[j + half] = x[j]
        }
        this.rotateHalf = onDevice(manager.create(r, new Shape(hd, hd)));
        this.eps = manager.create((float) config.rmsNormEps()).toDevice(device, false);
    }

    /**
     * Makes the DJL pass's RoPE tables cover positions {@code [0, rows)}: grown geometrically (at least 256 rows) up to
     * max_position_embeddings, so a run builds tables for the context it uses, not for the largest one a config
     * claims.
     */
    private synchronized void ensureRope(long rows) {
        if (rows <= ropeRows) {
            return;
        }
        int hd = config.headDim();
        int half = hd / 2;
        int grown = (int) Math.min(config.maxPositions(), Math.max(rows, Math.max(256L, 2L * ropeRows)));
        float[] cos = new float[Math.multiplyExact(grown, hd)];
        float[] sin = new float[cos.length];
        for (int p = 0; p < grown; p++) {
            for (int j = 0; j < half; j++) {
                double invFreq = Math.pow(config.ropeTheta(), -2.0 * j / hd);
                double angle = p * invFreq;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * hd + j] = c;
                cos[p * hd + j + half] = c;
                sin[p * hd + j] = s;
                sin[p * hd + j + half] = s;
            }
        }
        NDArray oldCos = cosTable;
        NDArray oldSin = sinTable;
        cosTable = onDevice(manager.create(cos, new Shape(grown, hd)));
        sinTable = onDevice(manager.create(sin, new Shape(grown, hd)));
        ropeRows = grown;
        // A graph recorded by an earlier pass keeps its own reference to the old tensors inside PyTorch.
        if (oldCos != null) {
            oldCos.close();
            oldSin.close();
        }
    }

    private NDArray onDevice(NDArray a) {
        NDArray r = a.toDevice(device, false).toType(dtype, false);
        r.attach(manager);
        return r;
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
    static LlamaModel fromSource(LlamaConfig config, WeightSource source, Device device, DataType dtype,
            String cpuKernels, int threads) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("Unsupported compute dtype " + dtype + ": use float32 or float16");
        }
        CpuKernels kernels = cpuKernelsFor(cpuKernels, device, dtype); // checked before any expensive work
        Engine engine = Engine.getEngine("PyTorch");
        NDManager manager = engine.newBaseManager(device);
        try {
            JniUtils.setGradMode(false);
            try (LlamaParameters params = LlamaParameters.load(config, source, manager)) {
                FoldedWeights folded = FoldedWeights.fold(params, manager.newSubManager(), device, dtype).ownAll();
                if (kernels == null) {
                    return new LlamaModel(config, manager, device, dtype, folded);
                }
                CpuForward cpu = CpuForward.fromFolded(config, folded, kernels, threads);
                folded.close(); // the Java pass keeps its own packed copy: no second copy of the weights
                return new LlamaModel(config, manager, device, dtype, null, cpu);
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
        throw new IllegalArgumentException("sdsat.cpuThreads must be a positive integer (this machine has "
                + available + " processors), got '" + value + "'");
    }

    /** Which forward pass runs: "djl (cpu, float32)" or "java vector (512-bit), 2 threads" (for reports). */
    public String backend() {
        return cpu != null ? cpu.describe() : "djl (" + device + ", " + dtype + ")";
    }

    /** Bytes of weights a pass reads, for the roofline; -1 on the DJL pass (not measured there). */
    public long weightBytesPerPass() {
        return cpu != null ? cpu.weightBytesPerPass() : -1;
    }

    /**
     * A model that shares constants with no weights of its own: training passes folded trainable weights to {@link
     * #forward(FoldedWeights, NDArray, NDArray, NDArray, KvCache, long)}.
     */
    public static LlamaModel forTraining(LlamaConfig config, NDManager parent) {
        NDManager manager = parent.newSubManager();
        return new LlamaModel(config, manager, parent.getDevice(), DataType.FLOAT32, null);
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
        if (cpu == null) {
            ensureRope(capacity);
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
            return cpu.forward(cache, tokens, positions, mask, logitsFrom);
        }
        synchronized (djlPassLock) {
            try (NDManager step = manager.newSubManager()) {
                return forwardFromArrays(step, cache, tokens, positions, mask, logitsFrom).toFloatArray();
            }
        }
    }

    /** Greedy choice (argmax) of each logits row from {@code logitsFrom} on; see {@link #logits}. */
    public long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        if (cpu != null) {
            return argmaxRows(cpu.forward(cache, tokens, positions, mask, logitsFrom), config.vocabSize());
        }
        synchronized (djlPassLock) {
            try (NDManager step = manager.newSubManager()) {
                NDArray logits = forwardFromArrays(step, cache, tokens, positions, mask, logitsFrom);
                return JniUtils.argMax((PtNDArray) logits, -1, false).toLongArray();
            }
        }
    }

    /** Index of the first maximum of each row (torch.argmax's tie rule), rows of {@code vocab} values. */
    static long[] argmaxRows(float[] logits, int vocab) {
        long[] ids = new long[logits.length / vocab];
        for (int r = 0; r < ids.length; r++) {
            int best = r * vocab;
            for (int v = best + 1; v < (r + 1) * vocab; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            ids[r] = best - (long) r * vocab;
        }
        return ids;
    }

    private NDArray forwardFromArrays(NDManager step, KvCache cache, long[] tokens, long[] positions, float[] mask,
            int logitsFrom) {
        NDArray maskArray = null;
        if (mask != null) {
            int total = cache.length() + tokens.length;
            maskArray = step.create(mask, new Shape(tokens.length, total));
        }
        return forward(step.create(tokens), step.create(positions), maskArray, cache, logitsFrom);
    }

    /** Logits for every new token: see {@link #forward(FoldedWeights, NDArray, NDArray, NDArray, KvCache, long)}. */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray mask, KvCache cache) {
        return forward(tokens, positions, mask, cache, 0);
    }

    /** Logits for the new tokens from row {@code logitsFrom} on (prefill needs only the last row). */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom) {
        if (cpu != null) {
            return forwardOnCpu(tokens, positions, mask, cache, (int) logitsFrom);
        }
        return forward(weights, tokens, positions, mask, cache, logitsFrom);
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
        float[] masks = mask == null ? null : mask.toType(DataType.FLOAT32, false).toFloatArray();
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
                float[] one = cpu.forward(own, Arrays.copyOfRange(ids, s * n, (s + 1) * n),
                        Arrays.copyOfRange(pos, s * n, (s + 1) * n), rowMask, logitsFrom);
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

    /**
     * The forward pass.
     *
     * @param w weights ({@link FoldedWeights})
     * @param tokens int64 [n] (with a cache) or [batch, n] (without)
     * @param positions int64, same shape as tokens: RoPE positions (need not be consecutive)
     * @param mask additive float mask (0 = attend, -inf = not) of shape [n, cached + n] or [batch, n, n]; null means
     *     causal over cache slots
     * @param cache KV cache (its length is the number of cached tokens; the new K/V are appended) or null
     * @param logitsFrom first new row for which logits are computed
     * @return float32 logits [n - logitsFrom, vocab] (or [batch, n - logitsFrom, vocab]), attached to the manager of
     *     {@code tokens}
     */
    public NDArray forward(FoldedWeights w, NDArray tokens, NDArray positions, NDArray mask, KvCache cache,
            long logitsFrom) {
        if (cpu != null) {
            throw new IllegalStateException("This model runs the Java CPU pass, which has no DJL weights: pass "
                    + "explicit weights to a model from LlamaModel.forTraining, or load with -Dsdsat.cpuKernels=djl");
        }
        if (cache != null) {
            cache.requireStorage(false);
        }
        Shape ts = tokens.getShape();
        boolean batched = ts.dimension() == 2;
        if (!batched && ts.dimension() != 1) {
            throw new IllegalArgumentException("tokens must be [n] or [batch, n], got " + ts);
        }
        if (!positions.getShape().equals(ts)) {
            throw new IllegalArgumentException("positions " + positions.getShape() + " must match tokens " + ts);
        }
        long b = batched ? ts.get(0) : 1;
        long n = ts.get(ts.dimension() - 1);
        if (cache != null && batched) {
            throw new IllegalArgumentException("A KV cache serves one sequence: pass tokens as [n]");
        }
        if (cache != null && cache.remaining() < n) {
            throw new IllegalArgumentException("KV cache full: " + cache.length() + " cached + " + n
                    + " new tokens exceed its capacity " + cache.capacity());
        }
        long cached = cache == null ? 0 : cache.length();
        long total = cached + n;
        int hd = config.headDim();
        long heads = config.numHeads();
        long kvHeads = config.numKvHeads();
        long group = heads / kvHeads;
        long hidden = config.hiddenSize();
        long inter = config.intermediateSize();
        PtNDManager step = (PtNDManager) tokens.getManager();

        PtNDArray ids = reshape(tokens, b, n);
        PtNDArray pos = reshape(positions, b, n);
        // With a cache every position lies below its capacity; without one (training) ask the positions themselves.
        if (cache != null) {
            ensureRope(cache.capacity());
        } else {
            try (NDArray largest = positions.max()) {
                ensureRope(Math.max(n, largest.toArray()[0].longValue() + 1));
            }
        }
        PtNDArray x = JniUtils.embedding(ids, (PtNDArray) w.embed, false); // [b, n, D]
        // cos/sin per token, broadcast over heads: [b, n, 1, hd]
        PtNDArray cos = reshape(JniUtils.embedding(pos, (PtNDArray) cosTable, false), b, n, 1, hd);
        PtNDArray sin = reshape(JniUtils.embedding(pos, (PtNDArray) sinTable, false), b, n, 1, hd);
        PtNDArray attnMask = (PtNDArray) (mask != null ? mask : causalMask(cached, n, step));
        if (dtype != DataType.FLOAT32 && attnMask.getDataType() != dtype) {
            attnMask = JniUtils.to(attnMask, dtype, device);
        }
        Shape ms = attnMask.getShape();
        long maskRows = ms.get(ms.dimension() - 2);
        long maskCols = ms.get(ms.dimension() - 1);
        if (maskRows != n || maskCols != total) {
            throw new IllegalArgumentException("Attention mask is " + ms + " but the pass needs [" + n + ", " + total
                    + "] (new tokens × cached + new)");
        }
        // scores are [b, kv, group, n, total]; the mask broadcasts over kv and group
        PtNDArray mask5 = reshape(attnMask, ms.dimension() == 3 ? b : 1, 1, 1, n, total);

        for (int layer = 0; layer < config.numLayers(); layer++) {
            // --- attention ---
            PtNDArray h = rmsNormalize(x);
            PtNDArray qkv = reshape(JniUtils.linear(h, (PtNDArray) w.qkv[layer], null), b, n, heads + 2 * kvHeads, hd);
            PtNDArray qk = JniUtils.slice(qkv, 2, 0, heads + kvHeads, 1);
            PtNDArray rotated = JniUtils.add(JniUtils.mul(qk, cos),
                    JniUtils.mul(JniUtils.matmul(qk, (PtNDArray) rotateHalf), sin));
            PtNDArray q = JniUtils.slice(rotated, 2, 0, heads, 1); // [b, n, H, hd]
            PtNDArray k = JniUtils.slice(rotated, 2, heads, heads + kvHeads, 1); // [b, n, KV, hd]
            PtNDArray v = JniUtils.slice(qkv, 2, heads + kvHeads, heads + 2 * kvHeads, 1);
            PtNDArray keys;
            PtNDArray values;
            if (cache != null) {
                cache.append(layer, reshape(k, n, kvHeads, hd), reshape(v, n, kvHeads, hd), n);
                keys = reshape(cache.keys(layer, total, step), 1, total, kvHeads, hd);
                values = reshape(cache.values(layer, total, step), 1, total, kvHeads, hd);
            } else {
                keys = k;
                values = v;
            }
            // q: [b, n, H, hd] -> [b, KV, G*n, hd] (head h = kv*G + g)
            PtNDArray qh = reshape(JniUtils.permute(q, new long[] {0, 2, 1, 3}), b, kvHeads, group * n, hd);
            PtNDArray kt = JniUtils.permute(keys, new long[] {0, 2, 3, 1}); // [b, KV, hd, total]
            PtNDArray scores = reshape(JniUtils.matmul(qh, kt), b, kvHeads, group, n, total);
            scores = JniUtils.add(scores, mask5);
            PtNDArray probs = JniUtils.softmax(scores, -1, DataType.FLOAT32);
            if (dtype != DataType.FLOAT32) {
                probs = JniUtils.to(probs, dtype, device);
            }
            PtNDArray vh = JniUtils.permute(values, new long[] {0, 2, 1, 3}); // [b, KV, total, hd]
            PtNDArray attn = JniUtils.matmul(reshape(probs, b, kvHeads, group * n, total), vh); // [b, KV, G*n, hd]
            PtNDArray merged = reshape(JniUtils.permute(reshape(attn, b, heads, n, hd), new long[] {0, 2, 1, 3}),
                    b, n, heads * hd);
            x = JniUtils.add(x, JniUtils.linear(merged, (PtNDArray) w.o[layer], null));
            // --- MLP: down(silu(gate) * up) ---
            PtNDArray h2 = rmsNormalize(x);
            PtNDArray gu = JniUtils.linear(h2, (PtNDArray) w.gateUp[layer], null);
            PtNDArray gate = JniUtils.slice(gu, 2, 0, inter, 1);
            PtNDArray up = JniUtils.slice(gu, 2, inter, 2 * inter, 1);
            PtNDArray act = JniUtils.mul(JniUtils.mul(gate, JniUtils.sigmoid(gate)), up);
            x = JniUtils.add(x, JniUtils.linear(act, (PtNDArray) w.down[layer], null));
        }
        if (cache != null) {
            cache.advance(n);
        }
        PtNDArray last = logitsFrom == 0 ? x : JniUtils.slice(x, 1, logitsFrom, n, 1);
        PtNDArray logits = JniUtils.linear(rmsNormalize(last), (PtNDArray) w.lmHead, null);
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = JniUtils.to(logits, DataType.FLOAT32, device);
        }
        return batched ? logits : reshape(logits, n - logitsFrom, config.vocabSize());
    }

    private static PtNDArray reshape(NDArray a, long... shape) {
        return JniUtils.reshape((PtNDArray) a, shape);
    }

    /** x · rsqrt(mean(x²) + eps) in float32 (HF's LlamaRMSNorm); its weight is folded into the next linear. */
    private PtNDArray rmsNormalize(PtNDArray x) {
        PtNDArray xf = x.getDataType() == DataType.FLOAT32 ? x : JniUtils.to(x, DataType.FLOAT32, device);
        PtNDArray meanSquare = JniUtils.mean(JniUtils.square(xf), -1, true);
        PtNDArray rms = JniUtils.sqrt(JniUtils.add(meanSquare, (PtNDArray) eps));
        PtNDArray y = JniUtils.div(xf, rms);
        return y.getDataType() == dtype ? y : JniUtils.to(y, dtype, device);
    }

    /** Additive causal mask rows [cached, cached+n) × columns [0, cached+n), a view of a prebuilt matrix. */
    private NDArray causalMask(long cached, long n, PtNDManager step) {
        long total = cached + n;
        if (causal == null || causal.getShape().get(0) < total) {
            long size = Math.max(256, Long.highestOneBit(Math.max(1, total - 1)) << 1);
            float[] m = new float[Math.toIntExact(size * size)];
            for (int r = 0; r < size; r++) {
                for (int c = r + 1; c < size; c++) {
                    m[(int) (r * size + c)] = Float.NEGATIVE_INFINITY;
                }
            }
            if (causal != null) {
                causal.close();
            }
            causal = manager.create(m, new Shape(size, size)).toDevice(device, false);
            causal.attach(manager);
        }
        return JniUtils.index((PtNDArray) causal, new long[] {cached, 0}, new long[] {total, total},
                new long[] {1, 1}, step);
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
