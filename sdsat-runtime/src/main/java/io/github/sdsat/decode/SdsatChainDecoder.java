package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;
import java.util.function.Function;

/**
 * One-pass SDSAT greedy decoding with a single SAT block after the draft chain ({@code sdsat-chain}), and its hybrid
 * with prompt lookup ({@code sdsat-lookup}); docs/DESIGN.md §4. Both are greedy only.
 *
 * <p><b>The pass.</b> Each loop feeds {@code [t, d1..dc, S×k]} at consecutive positions n..n+c+k under the plain
 * causal mask (t = the last decided token, whose KV is not yet cached, at position n). Rows 0..c verify the drafts
 * as in every chain decoder: the longest prefix of drafts equal to the rows' argmax is accepted and the argmax after
 * it is the bonus, the next t. The SAT block sits after the whole draft chain, exactly where the two-step draft pass
 * puts it after t: SAT j (at position n+c+j) sees the context, t, d1..dc and the SATs before it, so its argmax is the
 * draft for position n+c+j+1, the j-th token after the bonus. Those drafts are valid only if their context is the
 * committed prefix, i.e. only if all c drafts were accepted; then the next loop verifies them without a draft pass of
 * its own. After a rejection they are discarded and the next loop has no SAT drafts.
 *
 * <p><b>{@code sdsat-chain}</b> (no lookup): a loop with SAT drafts is one pass of 2k+1 tokens for a+1 tokens (a
 * accepted) and, when a = k, already holds the next loop's drafts; a loop without them is {@code [t, S×k]}, c = 0,
 * which is exactly the two-step draft pass (t's row is the exact next token, the SAT rows draft after it). So after a
 * rejection the decoder pays the two-step scheme's draft pass of k+1 tokens plus a verify pass widened by k SATs,
 * and after a full acceptance only one pass of 2k+1 tokens, against the two-step scheme's two passes of k+1 and
 * single-pass SDSAT's one pass of (k+1)². It bets on full acceptance: single-pass SDSAT hedges on every acceptance
 * length at the cost of k+1 SAT blocks.
 *
 * <p><b>{@code sdsat-lookup}</b>: the drafts come from prompt lookup ({@link NgramIndex}, n-grams up to
 * {@link GenerationConfig#lookupMaxNgram()}) when the context's suffix occurs earlier, and from the previous pass's SAT
 * block otherwise (when it is valid). The SAT block is appended only when the lookup found nothing, so a loop whose
 * drafts are lookup's is exactly the {@code lookup} decoder's pass of c+1 tokens. Why only then: on a model that
 * repeats itself a lookup match is usually followed by another one (the copy continues), so a SAT block behind
 * lookup drafts would widen most passes by k and its drafts would rarely be used (lookup is preferred when both
 * exist because its drafts are accepted far more often on the shipped model: about 2 of 5 against 0.5 per loop).
 * Where lookup finds nothing the decoder behaves like {@code sdsat-chain}, so SAT drafts fill lookup's gaps instead of
 * a one-token pass. Every committed token is still the argmax of a pass whose context is exactly the committed
 * prefix, at its own position, so the output equals autoregressive greedy decoding token for token.
 *
 * <p>The first SAT drafts come from a SAT block appended to the prefill (plain causal attention is exactly its mask),
 * as in single-pass SDSAT.
 */
public final class SdsatChainDecoder extends SatDecoder {
    public static final String NAME = "sdsat-chain";
    public static final String LOOKUP_NAME = "sdsat-lookup";

    private final String name;
    /** Gives the lookup drafter of a generation, or null for {@code sdsat-chain} (SAT drafts only). */
    private final Function<GenerationConfig, Drafter> lookups;

    private SdsatChainDecoder(
            LlamaModel model, long satToken, String name, Function<GenerationConfig, Drafter> lookups) {
        super(model, satToken);
        this.name = name;
        this.lookups = lookups;
    }

    /** {@code sdsat-chain}: SAT drafts only. */
    public static SdsatChainDecoder chain(LlamaModel model, long satToken) {
        return new SdsatChainDecoder(model, satToken, NAME, null);
    }

    /** {@code sdsat-lookup}: prompt-lookup drafts first, SAT drafts where the lookup finds no match. */
    public static SdsatChainDecoder withLookup(LlamaModel model, long satToken) {
        return new SdsatChainDecoder(model, satToken, LOOKUP_NAME, config -> new NgramIndex(config.lookupMaxNgram()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    protected int scratchSlots(GenerationConfig config) {
        return 2 * config.k() + 1; // t, up to k drafts and k SATs
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        int p = prompt.length;
        Drafter lookup = lookups == null ? null : lookups.apply(config);
        if (lookup != null) {
            lookup.start(prompt);
        }
        SatPrefill first = prefillWithSatBlock(prompt, k, cache, counters);
        long t = first.next();
        long[] satDrafts = first.drafts(); // [k]: the SAT block's drafts after t
        boolean satValid = true; // whether satDrafts were computed on exactly the committed context
        long[] drafts = new long[k]; // [k]: this loop's drafts d1..dc
        int n = p; // position of t, whose KV is not yet computed
        // Emit first, then compute: a pass happens only if generation goes on.
        while (out.emit(t)) {
            if (lookup != null) {
                lookup.commit(t);
            }
            counters.loops++;
            int c = lookup == null ? 0 : lookup.propose(drafts, k);
            boolean withSats = c == 0; // lookup drafts go without a SAT block (class comment)
            if (c == 0 && satValid) {
                System.arraycopy(satDrafts, 0, drafts, 0, k);
                c = k;
            }
            int sats = withSats ? k : 0;
            long[] tokens = new long[1 + c + sats]; // [t, d1..dc, S×sats]
            tokens[0] = t;
            System.arraycopy(drafts, 0, tokens, 1, c);
            Arrays.fill(tokens, 1 + c, tokens.length, satToken);
            long[] best = passes.argmax(cache, tokens, ModelPasses.range(n, tokens.length), null, 0);
            int accepted = SpeculativeSampling.greedyPrefix(drafts, 0, best, c);
            counters.verified(c, accepted);
            long bonus = best[accepted];
            // The SAT block saw t, d1..dc: its drafts follow the bonus only if every draft was accepted.
            satValid = withSats && accepted == c;
            if (satValid) {
                System.arraycopy(best, 1 + c, satDrafts, 0, k);
            }
            cache.truncate(n + 1 + accepted); // t and the accepted drafts are committed
            committed(cache);
            for (int i = 0; i < accepted; i++) {
                if (!out.emitAcceptedDraft(drafts[i])) {
                    return;
                }
                if (lookup != null) {
                    lookup.commit(drafts[i]);
                }
            }
            n += 1 + accepted;
            t = bonus;
        }
    }
}
