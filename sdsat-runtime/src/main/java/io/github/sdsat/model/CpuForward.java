package io.github.sdsat.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
 * <p>One pass at a time per model: the scratch buffers belong to the model, so {@link #forward} is synchronized.
 */
final class CpuForward implements AutoCloseable {
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
    /** RoPE inverse frequencies θ^(-2j/headDim), j < headDim/2, in double as the DJL path computes its tables. */
    private final double[] inverseFrequencies;
    /** cos/sin per position [rows, headDim/2], grown on demand up to the context length. */
    private float[] cosTable = new float[0];

    private float[] sinTable = new float[0];
    private int tableRows;

    // Scratch, grown to the largest pass seen (n = new tokens of the pass).
    private int scratchRows = -1;
    private float[] x; // [n, hidden] residual stream
    private float[] normed; // [n, max(hidden, intermediate)] normalized rows fed to a linear
    private float[] qkvOut; // [n, qkv.paddedOut]
    private float[] attention; // [n, heads * headDim]
    private float[] projected; // [n, max(o, down).paddedOut]
    private float[] gateUpOut; // [n, gateUp.paddedOut]
    private float[] logitsPadded; // [n, lmHead.paddedOut]
    // The keys each row of a pass attends to (listVisibleKeys): row i's slots are rowSlots[slotsFrom[i] ..
    // slotsFrom[i] + slotsCount[i]), in increasing order.
    private int[] identitySlots = new int[0]; // [>= cached + n] slot j at index j: every unmasked row's list
    private int[] maskedSlots = new int[0]; // [>= n * (cached + n)] row i's list from i * (cached + n)
    private int[] slotsFrom = new int[0]; // [>= n]
    private int[] slotsCount = new int[0]; // [>= n]

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
        int half = config.headDim() / 2;
        this.inverseFrequencies = new double[half];
        for (int j = 0; j < half; j++) {
            inverseFrequencies[j] = Math.pow(config.ropeTheta(), -2.0 * j / config.headDim());
        }
        this.workers = new CpuWorkers(threads);
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

    String describe() {
        return "java " + kernels.name() + ", " + workers.threads() + " thread" + (workers.threads() > 1 ? "s" : "")
                + (lmHead.streamedFromMemory ? ", weights streamed from memory" : "")
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
    long weightBytesPerPass() {
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
    synchronized float[] forward(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        int n = tokens.length;
        int cached = cache.length();
        int total = cached + n;
        check(cache, tokens, positions, mask, logitsFrom, total);
        int[] rowSlots = listVisibleKeys(n, cached, mask);
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
        ensureRope(maxPosition + 1);
        for (int layer = 0; layer < qkv.length; layer++) {
            // --- attention ---
            rmsNormalize(x, 0, normed, n, hidden, inputNorm[layer]);
            matmul(normed, n, qkv[layer], qkvOut);
            int qkvStride = qkv[layer].paddedOut();
            float[] keys = cache.keyRows[layer];
            float[] values = cache.valueRows[layer];
            int kvRow = kvHeads * headDim;
            for (int i = 0; i < n; i++) {
                int row = i * qkvStride;
                scale(qkvOut, row, heads * headDim, queryScale); // the queries' 1/sqrt(head_dim), not folded
                for (int h = 0; h < heads + kvHeads; h++) {
                    rotate(qkvOut, row + h * headDim, (int) positions[i]);
                }
                System.arraycopy(qkvOut, row + heads * headDim, keys, (cached + i) * kvRow, kvRow);
                System.arraycopy(qkvOut, row + (heads + kvHeads) * headDim, values, (cached + i) * kvRow, kvRow);
            }
            workers.forRange(heads, (from, to) -> attend(from, to, n, cached, mask, rowSlots, qkvStride, keys, values));
            matmul(attention, n, o[layer], projected);
            addInto(x, projected, n, hidden, o[layer].paddedOut());
            // --- MLP: down(silu(gate) * up) ---
            rmsNormalize(x, 0, normed, n, hidden, postNorm[layer]);
            matmul(normed, n, gateUp[layer], gateUpOut);
            int guStride = gateUp[layer].paddedOut();
            for (int i = 0; i < n; i++) {
                kernels.siluTimes(gateUpOut, i * guStride, i * guStride + inter, normed, i * inter, inter);
            }
            matmul(normed, n, down[layer], projected);
            addInto(x, projected, n, hidden, down[layer].paddedOut());
        }
        cache.advance(n);
        int rows = n - logitsFrom;
        rmsNormalize(x, logitsFrom * hidden, normed, rows, hidden, finalNorm);
        matmul(normed, rows, lmHead, logitsPadded);
        int vocab = config.vocabSize();
        int stride = lmHead.paddedOut();
        float[] logits = new float[rows * vocab];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(logitsPadded, r * stride, logits, r * vocab, vocab);
        }
        return logits;
    }

    private void check(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom, int total) {
        cache.requireStorage(true);
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

    /**
     * Lists the key slots each new row attends to, in increasing order (see {@link #slotsFrom}), and returns the array
     * the lists are in. Unmasked, row i sees slots 0..cached+i; masked, the slots whose mask entry is not -inf.
     *
     * <p>Why lists instead of scoring every slot and adding -inf: the scores, softmax and weighted sum of a row then
     * run over exactly the keys it sees, in slot order, so their vector/tail split depends only on how many keys it
     * sees. A tree or single-pass row whose visible keys are those an autoregressive step sees (the same tokens at
     * the same positions, in the same order) gets bit-identical logits (docs/DESIGN.md, "shape-invariant pass").
     */
    private int[] listVisibleKeys(int n, int cached, float[] mask) {
        int total = cached + n;
        if (slotsFrom.length < n) {
            slotsFrom = new int[Math.max(n, 16)];
            slotsCount = new int[Math.max(n, 16)];
        }
        if (mask == null) {
            if (identitySlots.length < total) {
                identitySlots = new int[Math.max(total, 2 * identitySlots.length)];
                for (int j = 0; j < identitySlots.length; j++) {
                    identitySlots[j] = j;
                }
            }
            for (int i = 0; i < n; i++) {
                slotsFrom[i] = 0;
                slotsCount[i] = cached + i + 1; // causal: up to the row's own slot
            }
            return identitySlots;
        }
        if (maskedSlots.length < n * total) {
            maskedSlots = new int[Math.max(n * total, 2 * maskedSlots.length)];
        }
        for (int i = 0; i < n; i++) {
            int count = 0;
            for (int j = 0; j < total; j++) {
                if (mask[i * total + j] != Float.NEGATIVE_INFINITY) {
                    maskedSlots[i * total + count++] = j;
                }
            }
            if (count == 0) {
                throw new IllegalArgumentException("Attention mask row " + i + " of " + n + " blocks all " + total
                        + " slots (every entry -inf): a row must see at least its own slot (0 there)");
            }
            slotsFrom[i] = i * total;
            slotsCount[i] = count;
        }
        return maskedSlots;
    }

    /**
     * Heads [from, to) of every new row: softmax(q·K + mask) · V over the row's visible keys ({@link
     * #listVisibleKeys}) into {@link #attention}.
     */
    private void attend(
            int from,
            int to,
            int n,
            int cached,
            float[] mask,
            int[] rowSlots,
            int qkvStride,
            float[] keys,
            float[] values) {
        int headDim = config.headDim();
        int kvHeads = config.numKvHeads();
        int group = config.numHeads() / kvHeads;
        int total = cached + n;
        int kvRow = kvHeads * headDim;
        int attentionWidth = config.attentionSize();
        float[] scores = new float[total]; // [visible keys <= cached + n] for one row and head
        for (int h = from; h < to; h++) {
            int kvHead = h / group;
            for (int i = 0; i < n; i++) {
                int q = i * qkvStride + h * headDim;
                int slotsOff = slotsFrom[i];
                int visible = slotsCount[i];
                kernels.scores(qkvOut, q, keys, kvHead * headDim, kvRow, rowSlots, slotsOff, visible, headDim, scores);
                if (mask != null) {
                    for (int j = 0; j < visible; j++) {
                        scores[j] += mask[i * total + rowSlots[slotsOff + j]]; // 0 for a plain tree or SAT mask
                    }
                }
                kernels.softmax(scores, visible);
                kernels.weightedSum(
                        scores,
                        rowSlots,
                        slotsOff,
                        visible,
                        values,
                        kvHead * headDim,
                        kvRow,
                        headDim,
                        attention,
                        i * attentionWidth + h * headDim);
            }
        }
    }

    private void matmul(float[] input, int rows, PackedMatrix w, float[] output) {
        workers.forRange(w.tiles, (from, to) -> kernels.matmul(input, rows, w, output, from, to));
    }

    /**
     * HF's LlamaRMSNorm: gain ⊙ (x / sqrt(mean(x²) + eps)), for {@code rows} rows of {@code in} from offset {@code
     * inOff} into {@code out} from 0. The gain multiplies the activations here, not the next linear's weights.
     */
    private void rmsNormalize(float[] in, int inOff, float[] out, int rows, int width, float[] gain) {
        for (int r = 0; r < rows; r++) {
            int from = inOff + r * width;
            double squares = 0;
            for (int i = 0; i < width; i++) {
                float v = in[from + i];
                squares += v * v;
            }
            float rms = (float) Math.sqrt((float) (squares / width) + epsilon);
            for (int i = 0; i < width; i++) {
                out[r * width + i] = (in[from + i] / rms) * gain[i];
            }
        }
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

    /** v[off, off + n) *= factor. */
    private static void scale(float[] v, int off, int n, float factor) {
        for (int i = off; i < off + n; i++) {
            v[i] *= factor;
        }
    }

    private static void addInto(float[] x, float[] y, int rows, int width, int yStride) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < width; i++) {
                x[r * width + i] += y[r * yStride + i];
            }
        }
    }

    /** rotate-half RoPE of one head vector in place, as the DJL pass: x·cos + rotate_half(x)·sin. */
    private void rotate(float[] v, int off, int position) {
        int half = config.headDim() / 2;
        int t = position * half;
        for (int j = 0; j < half; j++) {
            float c = cosTable[t + j];
            float s = sinTable[t + j];
            float a = v[off + j];
            float b = v[off + j + half];
            v[off + j] = a * c + (-b) * s;
            v[off + j + half] = b * c + a * s;
        }
    }

    private void ensureRope(int rows) {
        if (rows <= tableRows) {
            return;
        }
        int grown = Math.min(config.maxPositions(), Math.max(rows, Math.max(256, 2 * tableRows)));
        int half = config.headDim() / 2;
        float[] cos = Arrays.copyOf(cosTable, grown * half);
        float[] sin = Arrays.copyOf(sinTable, grown * half);
        for (int p = tableRows; p < grown; p++) {
            for (int j = 0; j < half; j++) {
                double angle = p * inverseFrequencies[j];
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
        cosTable = cos;
        sinTable = sin;
        tableRows = grown;
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
