package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * A decoder that drafts with the SAT token under a mask of its own (tree, single-pass; the chain decoders are
 * {@link DraftVerifyDecoder}'s drafters): holds its name, its scratch slots per k and its SAT id, checked against the vocabulary once (its k range is in its
 * {@link DecoderRegistry} entry), and runs the SAT passes they share: the prefill with a SAT block
 * ({@link #prefillWithSatBlock}) and the draft pass {@code [t, S×k]} ({@link #satDraftLogits}).
 */
abstract class SatDecoder extends AbstractDecoder {
    protected final long satToken;
    private final String name;
    /** Extra cache slots of one loop at a given k: the width of the decoder's widest pass. */
    private final IntUnaryOperator scratchSlotsAtK;

    /**
     * @param name the decoder's {@link DecoderRegistry} name
     * @param scratchSlotsAtK the cache slots a loop uses beyond the committed tokens, given k (a valid k: the
     *     registry checks it first)
     */
    SatDecoder(LlamaModel model, String name, long satToken, IntUnaryOperator scratchSlotsAtK) {
        super(model);
        this.name = name;
        this.satToken = checkedSatToken(model, satToken);
        this.scratchSlotsAtK = scratchSlotsAtK;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    protected final int scratchSlots(GenerationConfig config) {
        return scratchSlotsAtK.applyAsInt(config.k());
    }

    /** {@code satToken}, checked against the model's vocabulary (every decoder that drafts with SAT checks it). */
    static long checkedSatToken(LlamaModel model, long satToken) {
        if (satToken < 0 || satToken >= model.config().vocabSize()) {
            throw new IllegalArgumentException("SAT token id " + satToken + " is outside the vocabulary [0, "
                    + model.config().vocabSize() + "): pass the id of the model's <sat> token (sdsat.satToken)");
        }
        return satToken;
    }

    /**
     * The first token after the prompt and the first k SAT drafts after it.
     *
     * @param next the exact next token t (argmax of the prompt's last row)
     * @param drafts the SAT block's argmax [k]: the drafts for the k positions after t
     */
    record SatPrefill(long next, long[] drafts) {}

    /**
     * Prefills {@code prompt} with a block of k SAT tokens appended (plain causal attention is exactly the SAT block's
     * mask): rows p-1..p+k-1 give t and the SAT drafts after it. Marks the prefill done, then keeps only the
     * prompt's KV (t's is not computed yet).
     */
    protected final SatPrefill prefillWithSatBlock(long[] prompt, int k, KvCache cache, Counters counters) {
        int p = prompt.length;
        long[] prefill = Arrays.copyOf(prompt, p + k); // [p + k]
        Arrays.fill(prefill, p, p + k, satToken);
        long[] first = passes.argmax(cache, prefill, ModelPasses.range(0, p + k), null, p - 1); // [k + 1]
        counters.prefillDone();
        cache.truncate(p);
        return new SatPrefill(first[0], Arrays.copyOfRange(first, 1, k + 1));
    }

    /**
     * The draft pass over {@code [t, S×k]} at positions n..n+k (t at n, causal), with the rows' logits: [k+1, vocab]
     * flattened, row 0 t1's distribution, row j the draft distribution of position n+j+1. Keeps t's KV and drops the
     * SATs'.
     *
     * @param input scratch [k+1], overwritten with {@code [t, S×k]}
     */
    protected final float[] satDraftLogits(KvCache cache, long[] input, long t, int n) {
        float[] logits = passes.logits(cache, satDraftInput(input, t), ModelPasses.range(n, input.length), null, 0);
        cache.truncate(n + 1); // keep t, drop the SATs
        return logits;
    }

    private long[] satDraftInput(long[] input, long t) {
        input[0] = t;
        Arrays.fill(input, 1, input.length, satToken);
        return input;
    }
}
