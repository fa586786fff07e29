package com.github.tjake.jlama.model;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.util.UUID;

/**
 * Jlama's own greedy loop, returning token ids.
 *
 * <p>This class lives in Jlama's package because the single-token {@code forward} and the model's KV cache are
 * protected in {@link AbstractModel}, and {@code generate()} neither returns ids nor takes ids as input (it
 * re-encodes text) and stops at EOS. The loop is the one {@code AbstractModel.generate} runs at temperature 0:
 * {@code batchForward} over the prompt, {@code sample} on its last row, then {@code forward} + {@code sample} per
 * token, with a fresh KV buffer per call; only the text decoding and the EOS stop are left out, so that every run
 * emits exactly {@code newTokens} ids like our runtime's runs without stop tokens.
 */
public final class JlamaGreedyLoop {
    private JlamaGreedyLoop() {}

    /**
     * One greedy generation.
     *
     * @param ids the new tokens, in order
     * @param prefillNanos the prompt pass and the choice of the first new token
     * @param decodeNanos the remaining {@code ids.length - 1} single-token passes
     */
    public record Run(int[] ids, long prefillNanos, long decodeNanos) {}

    /**
     * The data types Jlama chose when it loaded the model (protected fields, hence here): the weights' type as
     * stored, the working type of activations and the KV cache, and the type activations are rounded to before a
     * matrix product ("quantized"; Jlama forces it to BF16 for a BF16 model, whatever was asked).
     */
    public static String dataTypes(AbstractModel model) {
        return "weights " + model.modelDType + ", working (activations, KV cache) " + model.workingDType
                + ", matmul inputs " + model.workingQType;
    }

    /** Jlama's head size: it computes hidden_size / num_attention_heads and ignores config.json's head_dim. */
    public static int headSize(AbstractModel model) {
        return model.c.headSize;
    }

    /**
     * Feeds {@code promptIds} as they are (the caller adds BOS) and generates {@code newTokens} ids greedily.
     *
     * @throws IllegalArgumentException when prompt and new tokens do not fit the model's context
     */
    public static Run generate(AbstractModel model, int[] promptIds, int newTokens) {
        if (promptIds.length == 0 || newTokens < 1) {
            throw new IllegalArgumentException("Need at least one prompt id and one new token, got " + promptIds.length
                    + " prompt ids and " + newTokens + " new tokens");
        }
        int context = model.c.contextLength;
        // Jlama's RoPE table lookup runs a little past the position (docs/DESIGN.md §10), so refuse
        // to get close to the end of the context rather than risk an index error mid-benchmark.
        int margin = 2 * model.c.numberOfHeads;
        if (promptIds.length + newTokens + margin > context) {
            throw new IllegalArgumentException("Prompt of " + promptIds.length + " ids + " + newTokens
                    + " new tokens does not fit Jlama's context of " + context + " positions (keeping " + margin
                    + " spare): use fewer new tokens");
        }
        int[] ids = new int[newTokens];
        // A fresh session per run, as generate() needs: a reused UUID would continue from the old KV position.
        try (KvBufferCache.KvBuffer kv = model.kvBufferCache.getKvBuffer(UUID.randomUUID());
                AbstractTensor<?, ?> logits = model.makeDenseTensor(model.c.vocabularySize)) {
            long start = System.nanoTime();
            int next;
            AbstractTensor<?, ?> last = model.batchForward(promptIds, 0, kv);
            try {
                next = model.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            } finally {
                last.close();
            }
            ids[0] = next;
            long prefillEnd = System.nanoTime();
            int position = promptIds.length;
            for (int i = 1; i < newTokens; i++, position++) {
                try (AbstractTensor<?, ?> output = model.forward(next, position, kv)) {
                    next = model.sample(output, 0f, 0f, logits);
                }
                kv.incrementContextPosition();
                ids[i] = next;
            }
            long end = System.nanoTime();
            return new Run(ids, prefillEnd - start, end - prefillEnd);
        }
    }
}
