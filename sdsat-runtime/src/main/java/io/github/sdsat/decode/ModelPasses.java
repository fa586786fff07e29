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

    ModelPasses(LlamaModel model) {
        this.model = model;
        this.vocab = model.config().vocabSize();
    }

    int passes() {
        return passes;
    }

    void resetCount() {
        passes = 0;
    }

    /** Greedy choice for each logits row (rows from {@code logitsFrom} on). */
    long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        passes++;
        return model.argmax(cache, tokens, positions, mask, logitsFrom);
    }

    /** Logits rows [tokens.length - logitsFrom, vocab], flattened. */
    float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        passes++;
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
