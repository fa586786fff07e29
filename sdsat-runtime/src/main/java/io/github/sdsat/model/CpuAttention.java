package io.github.sdsat.model;

import java.util.Arrays;

/**
 * The attention stage of the Java CPU pass ({@link CpuForward}): RoPE on the queries and keys, the lists of key slots
 * each new row sees, and softmax(q·K + mask)·V over exactly those keys. It holds what grows with the positions and
 * widths a pass meets (RoPE tables, slot lists); the pass owns the activations and hands them in.
 *
 * <p>Used by one pass at a time ({@link CpuForward}'s passes are synchronized); {@link #attend} runs on several
 * threads at once for disjoint heads and only reads the slot lists.
 */
final class CpuAttention {
    private final LlamaConfig config;
    private final CpuKernels kernels;
    /** RoPE inverse frequencies θ^(-2j/headDim), j < headDim/2, in double as the DJL path computes its tables. */
    private final double[] inverseFrequencies;
    /** cos/sin per position [rows, headDim/2], grown on demand up to the context length. */
    private float[] cosTable = new float[0];

    private float[] sinTable = new float[0];
    private int tableRows;
    // The keys each row of a pass attends to (listVisibleKeys): row i's slots are rowSlots[slotsFrom[i] ..
    // slotsFrom[i] + slotsCount[i]), in increasing order.
    private int[] identitySlots = new int[0]; // [>= cached + n] slot j at index j: every unmasked row's list
    private int[] maskedSlots = new int[0]; // [>= n * (cached + n)] row i's list from i * (cached + n)
    private int[] slotsFrom = new int[0]; // [>= n]
    private int[] slotsCount = new int[0]; // [>= n]

    CpuAttention(LlamaConfig config, CpuKernels kernels) {
        this.config = config;
        this.kernels = kernels;
        int half = config.headDim() / 2;
        this.inverseFrequencies = new double[half];
        for (int j = 0; j < half; j++) {
            inverseFrequencies[j] = Math.pow(config.ropeTheta(), -2.0 * j / config.headDim());
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
    int[] listVisibleKeys(int n, int cached, float[] mask) {
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
     * #listVisibleKeys}), the queries in {@code qkvOut} rows of {@code qkvStride}, the keys and values
     * the layer's arrays of {@code cache} ({@link ArrayKvCache}'s layout), into {@code attention} [n, heads * headDim].
     */
    void attend(
            int from,
            int to,
            int n,
            int cached,
            float[] mask,
            int[] rowSlots,
            int qkvStride,
            ArrayKvCache cache,
            float[] keys,
            float[] values,
            float[] qkvOut,
            float[] attention) {
        int headDim = config.headDim();
        int kvHeads = config.numKvHeads();
        int group = config.numHeads() / kvHeads;
        int total = cached + n;
        int slotStride = cache.slotStride();
        int attentionWidth = config.attentionSize();
        float[] scores = new float[total]; // [visible keys <= cached + n] for one row and head
        for (int h = from; h < to; h++) {
            int kvHead = h / group;
            int headStart = cache.offset(kvHead, 0); // this head's keys and values, slot after slot
            for (int i = 0; i < n; i++) {
                int q = i * qkvStride + h * headDim;
                int slotsOff = slotsFrom[i];
                int visible = slotsCount[i];
                kernels.scores(qkvOut, q, keys, headStart, slotStride, rowSlots, slotsOff, visible, headDim, scores);
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
                        headStart,
                        slotStride,
                        headDim,
                        attention,
                        i * attentionWidth + h * headDim);
            }
        }
    }

    /** rotate-half RoPE of one head vector in place, as the DJL pass: x·cos + rotate_half(x)·sin. */
    void rotate(float[] v, int off, int position) {
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

    void ensureRope(int rows) {
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
}
