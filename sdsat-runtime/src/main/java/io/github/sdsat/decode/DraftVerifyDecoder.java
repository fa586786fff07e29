package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The one chain-verify loop, fed by a {@link Drafter}: prompt lookup ({@code lookup}), SDSAT's two-step scheme
 * ({@code sdsat}), the SAT chain ({@code sdsat-chain}, {@code sdsat-lookup}) and the benchmark's oracles, for greedy
 * and sampled decoding alike.
 *
 * <p>Each pass runs the drafter's {@link Proposal}: {@code [t, d1..dc, S×s]} (t = the last committed token, whose KV
 * is not yet cached) at positions n..n+c+s under the plain causal mask. Row i is the target after d1..di. At
 * temperature 0 the longest prefix of drafts equal to the rows' argmax is accepted
 * ({@link SpeculativeSampling#greedyPrefix}) and the argmax after it is the bonus token, so the output equals
 * autoregressive greedy decoding token for token. When sampling, the drafts are verified by
 * {@link SpeculativeSampling#verifyChain} with the proposal's draft distributions, or as point masses when it has
 * none (draft d accepted with probability p(d), a rejection samples p with d removed), which under {@code lossless}
 * makes the output distributed exactly as autoregressive sampling ({@code paper}'s chain rule is exact for a point
 * mass too). The rows of the s SAT slots go back to the drafter ({@link Drafter#verified}) with the accepted count.
 * The prefill is the same pass over the prompt with the drafter's {@link Drafter#satSlotsAtPrefill} SAT slots.
 *
 * <p>A pass emits a + 1 tokens (a accepted); the KV of t and the accepted drafts is kept by truncating the cache
 * behind them. A loop is one pass, or two when the drafter's second pass continues it (the two-step scheme).
 */
public final class DraftVerifyDecoder extends AbstractDecoder {
    /** Prompt lookup decoding: n-gram drafts copied from the context ({@link NgramIndex}). */
    public static final String LOOKUP = "lookup";
    /** Drafts from a reference output (benchmarks only; not in {@link Decoders#names()}). */
    public static final String ORACLE = "oracle";
    /** The satToken of a decoder whose drafter never asks for SAT slots. */
    static final long NO_SAT = -1;

    private final String name;
    private final long satToken;
    private final Function<GenerationConfig, Drafter> drafters;

    /**
     * @param name the decoder's name, with its {@link DecoderRegistry} entry
     * @param satToken the token of the proposals' SAT slots, or {@link #NO_SAT} when the drafter asks for none
     * @param drafters gives the drafter for a generation's settings (called once per {@link #generate})
     */
    DraftVerifyDecoder(LlamaModel model, String name, long satToken, Function<GenerationConfig, Drafter> drafters) {
        super(model);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A draft-verify decoder needs a name (e.g. " + LOOKUP + ")");
        }
        this.name = name;
        this.satToken = satToken == NO_SAT ? NO_SAT : SatDecoder.checkedSatToken(model, satToken);
        this.drafters = drafters;
    }

    /** Prompt lookup decoding with n-grams up to {@link GenerationConfig#lookupMaxNgram()}. */
    static DraftVerifyDecoder lookup(LlamaModel model) {
        return new DraftVerifyDecoder(model, LOOKUP, NO_SAT, config -> new NgramIndex(config.lookupMaxNgram()));
    }

    /** SDSAT two-step ({@code sdsat}). */
    public static DraftVerifyDecoder twoStep(LlamaModel model, long satToken) {
        return new DraftVerifyDecoder(
                model, SdsatTwoStepDrafter.NAME, satToken, config -> new SdsatTwoStepDrafter(config.k(), null));
    }

    /** {@code sdsat-chain}: SAT drafts only. */
    public static DraftVerifyDecoder chain(LlamaModel model, long satToken) {
        return new DraftVerifyDecoder(
                model, SdsatChainDrafter.NAME, satToken, config -> new SdsatChainDrafter(config.k(), null));
    }

    /** {@code sdsat-lookup}: prompt-lookup drafts first, SAT drafts where the lookup finds no match. */
    public static DraftVerifyDecoder chainWithLookup(LlamaModel model, long satToken) {
        return new DraftVerifyDecoder(
                model,
                SdsatChainDrafter.LOOKUP_NAME,
                satToken,
                config -> new SdsatChainDrafter(config.k(), new NgramIndex(config.lookupMaxNgram())));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    protected int scratchSlots(GenerationConfig config) {
        return drafters.apply(config).scratchSlots(config.k());
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        SplittableRandom random = new SplittableRandom(config.seed());
        Drafter drafter = drafters.apply(config);
        drafter.start(prompt);
        Proposal prefill = Proposal.none().withSatSlots(drafter.satSlotsAtPrefill());
        SpeculativeSampling.ChainOutcome first = pass(cache, prompt, 0, prefill, drafter, config, random);
        counters.prefillDone();
        cache.truncate(prompt.length);
        long t = first.next();
        int n = prompt.length; // position of t, whose KV is not yet computed
        // Emit first, then compute: a pass happens only if generation goes on (no token too many).
        while (out.emit(t)) {
            drafter.commit(t);
            Proposal proposal = drafter.propose(k);
            if (!proposal.continuesLoop()) {
                counters.loops++;
            }
            SpeculativeSampling.ChainOutcome outcome =
                    pass(cache, new long[] {t}, n, proposal, drafter, config, random);
            int accepted = outcome.accepted();
            counters.verified(proposal.count(), accepted);
            cache.truncate(n + 1 + accepted); // t and the accepted drafts are committed
            committed(cache);
            for (int i = 0; i < accepted; i++) {
                if (!out.emitAcceptedDraft(proposal.drafts()[i])) {
                    return;
                }
                drafter.commit(proposal.drafts()[i]);
            }
            n += 1 + accepted;
            t = outcome.next();
        }
    }

    /**
     * One pass over {@code [committed, d1..dc, S×s]} at positions from {@code n} ({@code committed} = the prompt at
     * the prefill, [t] after it): verifies the drafts on the rows from the last committed token on, and reports the
     * outcome and the SAT rows to the drafter.
     */
    private SpeculativeSampling.ChainOutcome pass(
            KvCache cache,
            long[] committed,
            int n,
            Proposal proposal,
            Drafter drafter,
            GenerationConfig config,
            SplittableRandom random) {
        long[] drafts = proposal.drafts(); // [c]
        int c = drafts.length;
        int sats = proposal.satSlots();
        int vocab = passes.vocab;
        if (c > config.k() || (sats > 0 && satToken == NO_SAT)) {
            throw new IllegalStateException(name + "'s drafter proposed " + c + " drafts and " + sats + " SAT slots: "
                    + "at most k = " + config.k() + " drafts, and SAT slots only on a decoder with a SAT token");
        }
        int m = committed.length;
        long[] input = Arrays.copyOf(committed, m + c + sats); // [m + c + s]
        for (int i = 0; i < c; i++) {
            if (drafts[i] < 0 || drafts[i] >= vocab) {
                throw new IllegalStateException(
                        name + " drafted token id " + drafts[i] + ", outside the " + "vocabulary [0, " + vocab + ")");
            }
            input[m + i] = drafts[i];
        }
        Arrays.fill(input, m + c, input.length, satToken);
        long[] positions = ModelPasses.range(n, input.length);
        SpeculativeSampling.ChainOutcome outcome;
        SatRows satRows;
        if (config.isGreedy()) {
            long[] best = passes.argmax(cache, input, positions, null, m - 1); // [1 + c + s]
            int accepted = SpeculativeSampling.greedyPrefix(drafts, 0, best, c);
            outcome = new SpeculativeSampling.ChainOutcome(accepted, best[accepted]);
            satRows = new SatRows(best, null, 1 + c, sats, vocab, config, random);
        } else {
            float[] logits = passes.logits(cache, input, positions, null, m - 1); // [1 + c + s, vocab]
            outcome = SpeculativeSampling.verifyChain(
                    drafts, proposal.draftDistributions(), logits, vocab, config, random);
            satRows = new SatRows(null, logits, 1 + c, sats, vocab, config, random);
        }
        drafter.verified(outcome.accepted(), satRows);
        return outcome;
    }
}
