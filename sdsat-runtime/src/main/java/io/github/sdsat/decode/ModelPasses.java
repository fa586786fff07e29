package io.github.sdsat.decode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;

/**
 * Runs one forward pass from Java arrays and brings back only what the decoder needs (argmax ids or logits), with
 * every temporary in a sub-manager that is closed before returning, and counts passes.
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

    /** Greedy choice for each logits row (rows from {@code logitsFrom} on); argmax runs on the tensor side. */
    long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray logits = run(step, cache, tokens, positions, mask, logitsFrom);
            return JniUtils.argMax((PtNDArray) logits, -1, false).toLongArray();
        }
    }

    /** Logits rows [tokens.length - logitsFrom, vocab], flattened. */
    float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom) {
        try (NDManager step = model.manager().newSubManager()) {
            return run(step, cache, tokens, positions, mask, logitsFrom).toFloatArray();
        }
    }

    private NDArray run(NDManager step, KvCache cache, long[] tokens, long[] positions, float[] mask,
            int logitsFrom) {
        passes++;
        NDArray maskArray = null;
        if (mask != null) {
            int total = cache.length() + tokens.length;
            maskArray = step.create(mask, new Shape(tokens.length, total));
        }
        return model.forward(step.create(tokens), step.create(positions), maskArray, cache, logitsFrom);
    }

    static long[] range(long from, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }
}
