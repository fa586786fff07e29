package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;

/**
 * Runs one forward pass from Java arrays through {@link LlamaModel#logits} / {@link LlamaModel#argmax} and counts
 * passes.
 */
final class ModelPasses {
    final LlamaModel model;
    final int vocab;
    private int passes;
    /** Passes after the first (the prefill) by width: index = new tokens in the pass. */
    private long[] decodeWidths = new long[16];

    ModelPasses(LlamaModel model) {
        this.model = model;
        this.vocab = model.config().vocabSize();
    }

    int passes() {
        return passes;
    }

    void resetCount() {
        passes = 0;
        decodeWidths = new long[16];
    }

    /** Decode passes by width (the prefill excluded), trimmed after the widest. */
    long[] decodePassesByWidth() {
        int last = decodeWidths.length - 1;
        while (last > 0 && decodeWidths[last] == 0) {
            last--;
        }
        return java.util.Arrays.copyOf(decodeWidths, last + 1);
    }

    private void count(int width) {
        if (passes++ == 0) {
            return; // the prefill
        }
        if (width >= decodeWidths.length) {
            decodeWidths = java.util.Arrays.copyOf(decodeWidths, Math.max(width + 1, 2 * decodeWidths.length));
        }
        decodeWidths[width]++;
    }

    /** Greedy choice for each logits row (rows from {@code logitsFrom} on). */
    long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        count(tokens.length);
        return model.argmax(cache, tokens, positions, mask, logitsFrom);
    }

    /** Logits rows [tokens.length - logitsFrom, vocab], flattened. */
    float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        count(tokens.length);
        return model.logits(cache, tokens, positions, mask, logitsFrom);
    }

    static long[] range(long from, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }
}
