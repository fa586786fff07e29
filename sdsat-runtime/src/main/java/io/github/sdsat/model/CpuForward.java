package io.github.sdsat.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The Llama forward pass in plain Java arrays for the CPU: the same math as {@link LlamaModel}'s DJL pass (rotate-half
 * RoPE, additive masks over cache slots), logits equal to it to float rounding.
 *
 * <p>Nothing is folded into the weights here (the DJL pass folds, {@link FoldedWeights}): the RMSNorm gains multiply
 * the normalized activations and 1/sqrt(head_dim) multiplies the queries after their projection. Why: the weights are
 * used exactly as stored ({@link CheckpointPacker}), so bfloat16 weights are never re-rounded and a bfloat16 model
 * gives bit for bit the logits of the same values stored as float32.
 *
 * <p>Why: on a CPU the DJL pass is bound by per-op overhead (about 140 JNI calls per pass) and by PyTorch's
 * matrix-multiply path, which repacks the weights on every call from two rows on, so a 2-token pass costs about two
 * 1-token passes (docs/PERFORMANCE.md). Here every linear layer streams its packed weights once per pass whatever the
 * number of rows ({@link PackedMatrix}, {@link CpuKernels}), split over the cores by weight tiles ({@link CpuWorkers}),
 * and nothing else costs more than a few microseconds.
 *
 * <p>One pass at a time per model: the scratch buffers belong to the model, so {@link #logits} is synchronized.
 */
final class CpuForward implements ForwardPass {
    private final LlamaConfig config;
    private final CpuKernels kernels;
    private final CpuWorkers workers;
    /** [vocab, hidden] row-major float32, or null: the embedding table is read by row, never multiplied. */
    private final float[] embed;
    /** [vocab, hidden] row-major bfloat16 bits when the table is stored so (else null); a row is widened on gather. */
    private final short[] embedHalves;

    private final PackedMatrix[] qkv;
    private final PackedMatrix[] o;
    private final PackedMatrix[] gateUp;
    private final PackedMatrix[] down;
    private final PackedMatrix lmHead;
    /** [layers][hidden] RMSNorm gains before attention and before the MLP; [hidden] before the LM head. */
    private final float[][] inputNorm;

    private final float[][] postNorm;
    private final float[] finalNorm;
    /** 1/sqrt(head_dim), in float as the DJL pass folds it: multiplies every query after its projection. */
    private final float queryScale;

    private final float epsilon;
    /** RoPE, the keys each row sees and attention over them. */
    private final CpuAttention selfAttention;

    // Scratch, grown to the largest pass seen (n = new tokens of the pass).
    private int scratchRows = -1;
    private float[] x; // [n, hidden] residual stream
    private float[] normed; // [n, max(hidden, intermediate)] normalized rows fed to a linear
    private float[] qkvOut; // [n, qkv.paddedOut]
    private float[] attention; // [n, heads * headDim]
    private float[] projected; // [n, max(o, down).paddedOut]
    private float[] gateUpOut; // [n, gateUp.paddedOut]
    private float[] logitsPadded; // [n, lmHead.paddedOut]
    /** Whether the heap holding the tiles sits on 2 MiB pages: said in describe() when weights stream from DRAM. */
    private final HugePages hugePages;

    private CpuForward(LlamaConfig config, CpuKernels kernels, int threads, CheckpointPacker.Packed w) {
        this.config = config;
        this.kernels = kernels;
        this.embed = w.embed;
        this.embedHalves = w.embedHalves;
        this.qkv = w.qkv;
        this.o = w.o;
        this.gateUp = w.gateUp;
        this.down = w.down;
        this.lmHead = w.lmHead;
        this.inputNorm = w.inputNorm;
        this.postNorm = w.postNorm;
        this.finalNorm = w.finalNorm;
        this.queryScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.epsilon = (float) config.rmsNormEps();
        this.selfAttention = new CpuAttention(config, kernels);
        this.workers = new CpuWorkers(threads);
        this.hugePages = HugePages.detect();
    }

    /** The pass on weights packed by {@link CheckpointPacker} (kept, not copied). */
    static CpuForward fromPacked(LlamaConfig c, CheckpointPacker.Packed w, CpuKernels kernels, int threads) {
        List<PackedMatrix> matrices = new ArrayList<>(List.of(w.lmHead));
        for (int l = 0; l < c.numLayers(); l++) {
            matrices.addAll(List.of(w.qkv[l], w.o[l], w.gateUp[l], w.down[l]));
        }
        CpuKernels.warmUp(kernels);
        if (matrices.stream().anyMatch(m -> m.halves != null)) {
            CpuKernels.warmUpHalves(kernels);
        }
        CpuForward forward = new CpuForward(c, kernels, threads, w);
        // Weights of more than twice the last-level cache stream from DRAM on every pass (PackedMatrix).
        boolean streamed = forward.weightBytesPerPass() > 2 * lastLevelCacheBytes();
        matrices.forEach(m -> m.streamedFromMemory = streamed);
        if (streamed && forward.hugePages.flagWouldHelp()) {
            java.util.logging.Logger.getLogger(CpuForward.class.getName())
                    .warning(String.format(
                            java.util.Locale.ROOT,
                            "The %.2f GB of weights are streamed from memory on"
                                    + " 4 KiB pages: add %s to MAVEN_OPTS or the java command line (the kernel allows huge"
                                    + " pages on request); on the 7B shape it made one-token passes about 25%% faster and"
                                    + " steady (docs/PERFORMANCE.md section 7).",
                            forward.weightBytesPerPass() / 1e9,
                            HugePages.JVM_FLAG));
        }
        return forward;
    }

    /** {@code -Dsdsat.cpuCacheBytes}, default 32 MiB (the machine of docs/PERFORMANCE.md). */
    static long lastLevelCacheBytes() {
        String value = System.getProperty("sdsat.cpuCacheBytes", Long.toString(32L << 20));
        try {
            long bytes = Long.parseLong(value.trim());
            if (bytes > 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("sdsat.cpuCacheBytes must be a positive number of bytes (the CPU's "
                + "last-level cache, e.g. 33554432), got '" + value + "'");
    }

    @Override
    public KvCache newCache(int capacity) {
        return new ArrayKvCache(config, capacity);
    }

    @Override
    public long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        return Argmax.rows(logits(cache, tokens, positions, mask, logitsFrom), config.vocabSize());
    }

    /** The NDArray form on this pass: arrays in, one {@link #logits} pass per sequence, a logits NDArray out. */
    @Override
    public NDArray forward(
            NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom, IntConsumer countPass) {
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
        int from = (int) logitsFrom;
        long[] ids = tokens.toType(DataType.INT64, false).toLongArray();
        long[] pos = positions.toType(DataType.INT64, false).toLongArray();
        float[] masks =
                mask == null ? null : mask.toType(DataType.FLOAT32, false).toFloatArray();
        int rows = n - from;
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
                countPass.accept(n);
                float[] one = logits(
                        own,
                        Arrays.copyOfRange(ids, s * n, (s + 1) * n),
                        Arrays.copyOfRange(pos, s * n, (s + 1) * n),
                        rowMask,
                        from);
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

    /** Passes run synchronously on the calling thread and its workers: nothing is queued. */
    @Override
    public void awaitDevice() {}

    @Override
    public String weightPrecision() {
        return storedInBfloat16() ? "bfloat16" : "float32"; // float32 arithmetic either way: describe() says so
    }

    @Override
    public String describe() {
        return "java " + kernels.name() + ", " + workers.threads() + " thread" + (workers.threads() > 1 ? "s" : "")
                + (lmHead.streamedFromMemory
                        ? ", weights streamed from memory" + (hugePages.heapOnHugePages() ? " (huge pages)" : "")
                        : "")
                + (storedInBfloat16() ? ", bfloat16 weights" : "");
    }

    /** Whether any matrix of the pass is stored in bfloat16 (reports say so: the bytes per pass halve). */
    private boolean storedInBfloat16() {
        boolean any = lmHead.halves != null;
        for (int l = 0; l < qkv.length; l++) {
            any |= qkv[l].halves != null || o[l].halves != null || gateUp[l].halves != null || down[l].halves != null;
        }
        return any;
    }

    /**
     * Bytes of weights one pass streams (every linear layer and the LM head, 2 bytes per bfloat16 weight and 4 per
     * float32 one, tiles padded; the embedding rows are negligible).
     */
    @Override
    public long weightBytesPerPass() {
        long bytes = lmHead.bytes();
        for (int l = 0; l < qkv.length; l++) {
            bytes += qkv[l].bytes() + o[l].bytes() + gateUp[l].bytes() + down[l].bytes();
        }
        return bytes;
    }

    /**
     * One pass: feeds {@code tokens} at {@code positions} after the cache's committed slots, appends their K/V and
     * returns the logits rows from {@code logitsFrom} on, [tokens.length - logitsFrom, vocab] row-major.
     *
     * @param mask additive [n, cached + n] row-major (0 = attend, -inf = blocked), or null for causal
     */
    @Override
    public synchronized float[] logits(KvCache kv, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        ArrayKvCache cache = ArrayKvCache.of(kv); // refuses a cache of another pass
        int n = tokens.length;
        int cached = cache.length();
        int total = cached + n;
        check(cache, tokens, positions, mask, logitsFrom, total);
        int[] rowSlots = selfAttention.listVisibleKeys(n, cached, mask);
        ensureScratch(n);
        int hidden = config.hiddenSize();
        int headDim = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int inter = config.intermediateSize();
        int maxPosition = 0;
        for (int i = 0; i < n; i++) {
            gatherEmbedding((int) tokens[i], x, i * hidden);
            maxPosition = (int) Math.max(maxPosition, positions[i]);
        }
        selfAttention.ensureRope(maxPosition + 1);
        for (int layer = 0; layer < qkv.length; layer++) {
            // --- attention ---
            CpuRows.rmsNormalize(x, 0, normed, n, hidden, inputNorm[layer], epsilon);
            matmul(normed, n, qkv[layer], qkvOut);
            int qkvStride = qkv[layer].paddedOut();
            float[] keys = cache.keyRows[layer];
            float[] values = cache.valueRows[layer];
            for (int i = 0; i < n; i++) {
                int row = i * qkvStride;
                CpuRows.scale(qkvOut, row, heads * headDim, queryScale); // the queries' 1/sqrt(head_dim), not folded
                for (int h = 0; h < heads + kvHeads; h++) {
                    selfAttention.rotate(qkvOut, row + h * headDim, (int) positions[i]);
                }
                for (int h = 0; h < kvHeads; h++) {
                    int slot = cache.offset(h, cached + i);
                    System.arraycopy(qkvOut, row + (heads + h) * headDim, keys, slot, headDim);
                    System.arraycopy(qkvOut, row + (heads + kvHeads + h) * headDim, values, slot, headDim);
                }
            }
            workers.forRange(
                    heads,
                    (from, to) -> selfAttention.attend(
                            from, to, n, cached, mask, rowSlots, qkvStride, cache, keys, values, qkvOut, attention));
            matmul(attention, n, o[layer], projected);
            CpuRows.addInto(x, projected, n, hidden, o[layer].paddedOut());
            // --- MLP: down(silu(gate) * up) ---
            CpuRows.rmsNormalize(x, 0, normed, n, hidden, postNorm[layer], epsilon);
            matmul(normed, n, gateUp[layer], gateUpOut);
            int guStride = gateUp[layer].paddedOut();
            for (int i = 0; i < n; i++) {
                kernels.siluTimes(gateUpOut, i * guStride, i * guStride + inter, normed, i * inter, inter);
            }
            matmul(normed, n, down[layer], projected);
            CpuRows.addInto(x, projected, n, hidden, down[layer].paddedOut());
        }
        cache.advance(n);
        int rows = n - logitsFrom;
        CpuRows.rmsNormalize(x, logitsFrom * hidden, normed, rows, hidden, finalNorm, epsilon);
        matmul(normed, rows, lmHead, logitsPadded);
        int vocab = config.vocabSize();
        int stride = lmHead.paddedOut();
        float[] logits = new float[rows * vocab];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(logitsPadded, r * stride, logits, r * vocab, vocab);
        }
        return logits;
    }

    private void check(ArrayKvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom, int total) {
        int n = tokens.length;
        if (n == 0 || positions.length != n) {
            throw new IllegalArgumentException("A pass needs at least one token and one position per token, got " + n
                    + " tokens and " + positions.length + " positions");
        }
        if (cache.remaining() < n) {
            throw new IllegalArgumentException("KV cache full: " + cache.length() + " cached + " + n
                    + " new tokens exceed its capacity " + cache.capacity());
        }
        if (logitsFrom < 0 || logitsFrom >= n) {
            throw new IllegalArgumentException("logitsFrom " + logitsFrom + " must be in [0, " + n + ")");
        }
        if (mask != null && mask.length != n * total) {
            throw new IllegalArgumentException("Attention mask has " + mask.length + " values but the pass needs [" + n
                    + ", " + total + "] (new tokens × cached + new)");
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException(
                        "Token id " + tokens[i] + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            if (positions[i] < 0 || positions[i] >= config.maxPositions()) {
                throw new IllegalArgumentException("Position " + positions[i] + " is outside the model's context [0, "
                        + config.maxPositions() + ")");
            }
        }
    }

    private void matmul(float[] input, int rows, PackedMatrix w, float[] output) {
        workers.forRange(w.tiles, (from, to) -> kernels.matmul(input, rows, w, output, from, to));
    }

    /** Row {@code token} of the embedding table into {@code out[outOff ..]}, widened when stored in bfloat16. */
    private void gatherEmbedding(int token, float[] out, int outOff) {
        int hidden = config.hiddenSize();
        if (embed != null) {
            System.arraycopy(embed, token * hidden, out, outOff, hidden);
            return;
        }
        int from = token * hidden;
        for (int i = 0; i < hidden; i++) {
            out[outOff + i] = Float.intBitsToFloat(embedHalves[from + i] << 16);
        }
    }

    private void ensureScratch(int n) {
        if (n <= scratchRows) {
            return;
        }
        int rows = Math.max(n, 16);
        int hidden = config.hiddenSize();
        x = new float[rows * hidden];
        normed = new float[rows * Math.max(hidden, config.intermediateSize())];
        qkvOut = new float[rows * qkv[0].paddedOut()];
        attention = new float[rows * config.attentionSize()];
        projected = new float[rows * Math.max(o[0].paddedOut(), down[0].paddedOut())];
        gateUpOut = new float[rows * gateUp[0].paddedOut()];
        logitsPadded = new float[rows * lmHead.paddedOut()];
        scratchRows = rows;
    }

    @Override
    public void close() {
        workers.close();
    }
}
