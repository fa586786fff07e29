package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One verification loop for drafters that need no forward pass of their own ({@link Drafter}): prompt lookup
 * ({@code lookup}) and the benchmark's oracle ({@code oracle}).
 *
 * <p>Each loop asks the drafter for up to k drafts d1..dc after the committed context and runs ONE pass over
 * {@code [t, d1..dc]} (t = the last committed token, whose KV is not yet cached) at positions n..n+c. Row i of the
 * pass is the target after d1..di. At temperature 0 the longest prefix of drafts equal to the rows' argmax is
 * accepted ({@link SpeculativeSampling#greedyPrefix}) and the argmax after it is the bonus token, so the output
 * equals autoregressive greedy decoding token for token. When sampling, the drafts are verified by
 * {@link SpeculativeSampling#verifyChain} with point-mass proposals: draft d is accepted with probability p(d) and a
 * rejection samples p with d removed, renormalised, which under {@code lossless} makes the output distributed
 * exactly as autoregressive sampling ({@code paper}'s chain rule is exact for a point mass too). When the drafter
 * has nothing to propose, the loop is a plain one-token pass (an autoregressive step).
 *
 * <p>A loop emits a + 1 tokens for one pass of c + 1 tokens; the KV of t and the accepted drafts is kept by
 * truncating the cache behind them.
 */
public final class DraftVerifyDecoder extends AbstractDecoder {
    /** Prompt lookup decoding: n-gram drafts copied from the context ({@link NgramIndex}). */
    public static final String LOOKUP = "lookup";
    /** Drafts from a reference output (benchmarks only; not in {@link Decoders#names()}). */
    public static final String ORACLE = "oracle";

    private final String name;
    private final Function<GenerationConfig, Drafter> drafters;

    /**
     * @param name the decoder's name, with its {@link DecoderRegistry} entry
     * @param drafters gives the drafter for a generation's settings (called once per {@link #generate})
     */
    DraftVerifyDecoder(LlamaModel model, String name, Function<GenerationConfig, Drafter> drafters) {
        super(model);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A draft-verify decoder needs a name (e.g. " + LOOKUP + ")");
        }
        this.name = name;
        this.drafters = drafters;
    }

    /** Prompt lookup decoding with n-grams up to {@link GenerationConfig#lookupMaxNgram()}. */
    static DraftVerifyDecoder lookup(LlamaModel model) {
        return new DraftVerifyDecoder(model, LOOKUP, config -> new NgramIndex(config.lookupMaxNgram()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    protected int scratchSlots(GenerationConfig config) {
        return config.k(); // the drafts behind t in a verify pass
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        int vocab = passes.vocab;
        boolean greedy = config.isGreedy();
        SplittableRandom random = new SplittableRandom(config.seed());
        Drafter drafter = drafters.apply(config);
        drafter.start(prompt);
        long t = nextToken(cache, prompt, ModelPasses.range(0, prompt.length), config, random);
        counters.prefillDone();
        int n = prompt.length; // position of t, whose KV is not yet computed
        long[] drafts = new long[k];
        // Emit first, then compute: a pass happens only if generation goes on (no token too many).
        while (out.emit(t)) {
            drafter.commit(t);
            counters.loops++;
            int c = drafter.propose(drafts, k);
            if (c == 0) {
                t = nextToken(cache, new long[] {t}, new long[] {n}, config, random);
                n++;
                committed(cache);
                continue;
            }
            long[] input = new long[c + 1]; // [t, d1..dc]
            input[0] = t;
            for (int i = 0; i < c; i++) {
                if (drafts[i] < 0 || drafts[i] >= vocab) {
                    throw new IllegalStateException(name + " drafted token id " + drafts[i] + ", outside the "
                            + "vocabulary [0, " + vocab + ")");
                }
                input[i + 1] = drafts[i];
            }
            long[] positions = ModelPasses.range(n, c + 1);
            int accepted;
            long next;
            if (greedy) {
                long[] best = passes.argmax(cache, input, positions, null, 0);
                accepted = SpeculativeSampling.greedyPrefix(drafts, 0, best, c);
                next = best[accepted];
            } else {
                float[] logits = passes.logits(cache, input, positions, null, 0);
                SpeculativeSampling.ChainOutcome outcome = SpeculativeSampling.verifyChain(
                        Arrays.copyOf(drafts, c), null, logits, vocab, config, random); // point masses
                accepted = outcome.accepted();
                next = outcome.next();
            }
            counters.verified(c, accepted);
            cache.truncate(n + 1 + accepted); // t and the accepted drafts are committed
            committed(cache);
            for (int i = 0; i < accepted; i++) {
                if (!out.emitAcceptedDraft(drafts[i])) {
                    return;
                }
                drafter.commit(drafts[i]);
            }
            n += 1 + accepted;
            t = next;
        }
    }
}
