package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;

/**
 * SDSAT's two-step scheme under greedy search (DESIGN §4): a draft pass over {@code [t, SAT×k]} and a verify pass
 * over {@code [t1, d2..d(k+1)]} per loop, committing 2..k+2 tokens per two passes. The output equals
 * autoregressive greedy decoding token for token, because every committed token is the argmax of a pass whose
 * context is exactly the committed prefix.
 */
public class SdsatGreedyDecoder extends AbstractDecoder {
    public static final String NAME = "sdsat";
    public static final int MAX_K = 15;
    protected final long satToken;

    public SdsatGreedyDecoder(LlamaModel model, long satToken) {
        super(model);
        if (satToken < 0 || satToken >= model.config().vocabSize()) {
            throw new IllegalArgumentException("SAT token id " + satToken + " is outside the vocabulary [0, "
                    + model.config().vocabSize() + "): pass the id of the model's <sat> token (sdsat.satToken)");
        }
        this.satToken = satToken;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected int scratchSlots(GenerationConfig config) {
        return config.k() + 2;
    }

    @Override
    protected void validateConfig(GenerationConfig config) {
        if (config.k() < 1 || config.k() > MAX_K) {
            throw new IllegalArgumentException(name() + " supports k from 1 to " + MAX_K + " SAT tokens, got k = "
                    + config.k());
        }
        if (!config.isGreedy()) {
            throw new IllegalArgumentException(name() + " at temperature " + config.temperature()
                    + " needs a sampling decoder: use decoder sdsat-tree (sampling paper|lossless) or temperature 0");
        }
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        long t = passes.argmax(cache, prompt, ModelPasses.range(0, prompt.length), null, prompt.length - 1)[0];
        counters.prefillDone();
        int n = prompt.length; // position of t, whose KV is not yet computed
        if (!out.emit(t)) {
            return;
        }
        long[] draftInput = new long[k + 1];
        long[] verifyInput = new long[k + 1];
        while (true) {
            counters.loops++;
            // Draft pass: t's output is the exact next token t1; SAT j's output drafts position n + j + 1.
            draftInput[0] = t;
            java.util.Arrays.fill(draftInput, 1, k + 1, satToken);
            long[] draft = passes.argmax(cache, draftInput, ModelPasses.range(n, k + 1), null, 0);
            cache.truncate(n + 1); // keep t, drop the SATs
            long t1 = draft[0];
            if (!out.emit(t1)) {
                return;
            }
            // Verify pass over [t1, d2..d(k+1)]: row i predicts position n + 2 + i.
            verifyInput[0] = t1;
            System.arraycopy(draft, 1, verifyInput, 1, k);
            long[] verify = passes.argmax(cache, verifyInput, ModelPasses.range(n + 1, k + 1), null, 0);
            int accepted = 0;
            while (accepted < k && verifyInput[accepted + 1] == verify[accepted]) {
                accepted++;
            }
            counters.verified(k, accepted);
            for (int i = 1; i <= accepted; i++) {
                if (!out.emit(verifyInput[i])) {
                    return;
                }
            }
            long bonus = verify[accepted];
            cache.truncate(n + 2 + accepted); // t, t1 and the accepted drafts are committed
            n += 2 + accepted;
            t = bonus;
            if (!out.emit(bonus)) {
                return;
            }
        }
    }
}
