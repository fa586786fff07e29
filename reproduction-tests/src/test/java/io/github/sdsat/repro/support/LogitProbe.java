package io.github.sdsat.repro.support;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;

/**
 * Next-token logits after a token sequence, from one plain causal forward pass over the whole sequence in a fresh
 * cache: an independent computation path (no speculative decoder involved) used to measure the margin between two
 * tokens where a decoder diverged from the baseline, and for held-out loss.
 */
public final class LogitProbe {
    private LogitProbe() {}

    /** Logits [vocab] predicting the token after {@code tokens}. */
    public static float[] nextTokenLogits(LlamaModel model, long[] tokens) {
        return rows(model, tokens, tokens.length - 1);
    }

    /** Logits of rows {@code from..n-1} flattened ([n - from, vocab]), row i predicting token i + 1. */
    public static float[] rows(LlamaModel model, long[] tokens, int from) {
        if (tokens.length == 0 || tokens.length > model.config().maxPositions()) {
            throw new IllegalArgumentException("Cannot probe " + tokens.length + " tokens: need 1.."
                    + model.config().maxPositions());
        }
        long[] positions = new long[tokens.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        try (NDManager step = model.manager().newSubManager();
                KvCache cache = model.newCache(tokens.length)) {
            NDArray logits = model.forward(step.create(tokens), step.create(positions), null, cache, from);
            return logits.toFloatArray();
        }
    }
}
