package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.SplittableRandom;

/**
 * SDSAT's two-step scheme (docs/DESIGN.md §4): a draft pass over {@code [t, SAT×k]} and a verify pass over
 * {@code [t1, d2..d(k+1)]} per loop, committing 2..k+2 tokens per two passes.
 *
 * <p>At temperature 0 the output equals autoregressive greedy decoding token for token, because every committed
 * token is the argmax of a pass whose context is exactly the committed prefix. At temperature &gt; 0 (chain
 * sampling) t's row of the draft pass is the exact distribution of t1, which is sampled; SAT row j gives the draft
 * distribution q_j (processed with the same temperature/top-k/top-p) from which draft d_(j+1) is drawn, and the
 * verify rows give the targets p_j; the drafts are then accepted by {@link SamplingMode} ({@code lossless}: output
 * distributed exactly as autoregressive sampling).
 */
public final class SdsatTwoStepDecoder extends SatDecoder {
    public static final String NAME = "sdsat";
    /** The benchmark's two-step oracle ({@link Decoders#oracleTwoStep}; not in {@link Decoders#names()}). */
    public static final String ORACLE_NAME = "oracle-two-step";

    /**
     * Benchmark only: when not null, the drafts d2..d(k+1) of each loop are this output's next k tokens instead of
     * the SAT rows' argmax (the draft pass still runs, at the same width, for t1 and its cost), [referenceLength].
     */
    private final long[] reference;

    public SdsatTwoStepDecoder(LlamaModel model, long satToken) {
        this(model, satToken, null);
    }

    SdsatTwoStepDecoder(LlamaModel model, long satToken, long[] reference) {
        super(model, satToken);
        this.reference = reference;
    }

    @Override
    public String name() {
        return reference == null ? NAME : ORACLE_NAME;
    }

    @Override
    protected int scratchSlots(GenerationConfig config) {
        return config.k() + 2;
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        if (config.isGreedy()) {
            decodeGreedy(prompt, config, cache, out, counters);
        } else {
            decodeSampled(prompt, config, cache, out, counters);
        }
    }

    private void decodeGreedy(
            long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        long t = nextToken(cache, prompt, ModelPasses.range(0, prompt.length), config, null);
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
            long[] draft = satDraftArgmax(cache, draftInput, t, n); // [k + 1]
            long t1 = draft[0];
            if (!out.emit(t1)) {
                return;
            }
            // Verify pass over [t1, d2..d(k+1)]: row i predicts position n + 2 + i.
            verifyInput[0] = t1;
            System.arraycopy(draft, 1, verifyInput, 1, k);
            if (reference != null) {
                // the oracle's drafts: the reference's tokens at the next output indices (a filler past its end,
                // which verification rejects or the length limit never reaches)
                for (int j = 0; j < k; j++) {
                    int index = out.size() + j;
                    verifyInput[1 + j] = index < reference.length ? reference[index] : 0;
                }
            }
            long[] verify = passes.argmax(cache, verifyInput, ModelPasses.range(n + 1, k + 1), null, 0);
            int accepted = SpeculativeSampling.greedyPrefix(verifyInput, 1, verify, k);
            counters.verified(k, accepted);
            for (int i = 1; i <= accepted; i++) {
                if (!out.emitAcceptedDraft(verifyInput[i])) {
                    return;
                }
            }
            long bonus = verify[accepted];
            cache.truncate(n + 2 + accepted); // t, t1 and the accepted drafts are committed
            committed(cache);
            n += 2 + accepted;
            t = bonus;
            if (!out.emit(bonus)) {
                return;
            }
        }
    }

    /** Chain sampling: the same two passes per loop, drafts sampled and accepted per {@link SamplingMode}. */
    private void decodeSampled(
            long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        int vocab = passes.vocab;
        SplittableRandom random = new SplittableRandom(config.seed());
        long t = nextToken(cache, prompt, ModelPasses.range(0, prompt.length), config, random);
        counters.prefillDone();
        int n = prompt.length; // position of t, whose KV is not yet computed
        if (!out.emit(t)) {
            return;
        }
        long[] draftInput = new long[k + 1];
        long[] verifyInput = new long[k + 1];
        long[] drafts = new long[k];
        double[][] draftDistributions = new double[k][];
        while (true) {
            counters.loops++;
            float[] draft = satDraftLogits(cache, draftInput, t, n); // [k + 1, vocab]
            long t1 = Sampler.sample(Sampler.distribution(draft, 0, vocab, config), random);
            if (!out.emit(t1)) {
                return;
            }
            for (int j = 0; j < k; j++) {
                draftDistributions[j] = Sampler.distribution(draft, (j + 1) * vocab, vocab, config);
                drafts[j] = Sampler.sample(draftDistributions[j], random);
            }
            verifyInput[0] = t1;
            System.arraycopy(drafts, 0, verifyInput, 1, k);
            float[] verify = passes.logits(cache, verifyInput, ModelPasses.range(n + 1, k + 1), null, 0);
            SpeculativeSampling.ChainOutcome outcome =
                    SpeculativeSampling.verifyChain(drafts, draftDistributions, verify, vocab, config, random);
            int accepted = outcome.accepted();
            counters.verified(k, accepted);
            for (int i = 0; i < accepted; i++) {
                if (!out.emitAcceptedDraft(drafts[i])) {
                    return;
                }
            }
            cache.truncate(n + 2 + accepted); // t, t1 and the accepted drafts are committed
            committed(cache);
            n += 2 + accepted;
            t = outcome.next();
            if (!out.emit(t)) {
                return;
            }
        }
    }
}
