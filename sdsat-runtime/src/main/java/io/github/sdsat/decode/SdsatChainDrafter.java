package io.github.sdsat.decode;

/**
 * One-pass SDSAT with a single SAT block after the draft chain ({@code sdsat-chain}), and its hybrid with prompt
 * lookup ({@code sdsat-lookup}), as drafters of {@link DraftVerifyDecoder}; docs/DESIGN.md §4.
 *
 * <p><b>The pass.</b> Each loop feeds {@code [t, d1..dc, S×k]} under the plain causal mask. Rows 0..c verify the
 * drafts as in every chain decoder. The SAT block sits after the whole draft chain, exactly where the two-step draft
 * pass puts it after t: SAT j sees the context, t, d1..dc and the SATs before it, so its row drafts the j-th token
 * after the bonus. Those drafts are valid only if their context is the committed prefix, i.e. only if all c drafts
 * were accepted; then the next loop verifies them without a draft pass of its own. After a rejection they are
 * discarded and the next loop has no SAT drafts: {@code [t, S×k]}, c = 0, which is exactly the two-step draft pass.
 * So after a full acceptance a loop is one pass of 2k+1 tokens, against the two-step scheme's two passes of k+1 and
 * single-pass SDSAT's one pass of (k+1)²: it bets on full acceptance, where single-pass SDSAT hedges on every
 * acceptance length at the cost of k+1 SAT blocks.
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
public final class SdsatChainDrafter implements Drafter {
    public static final String NAME = "sdsat-chain";
    public static final String LOOKUP_NAME = "sdsat-lookup";

    private final int k;
    /** The lookup drafter of {@code sdsat-lookup}, or null for {@code sdsat-chain} (SAT drafts only). */
    private final NgramIndex lookup;

    /** The last SAT block's drafts when computed on exactly the committed context, else null. */
    private Proposal satDrafts;
    /** Whether the last proposal carried a SAT block. */
    private boolean withSats;

    private int proposed;

    SdsatChainDrafter(int k, NgramIndex lookup) {
        this.k = k;
        this.lookup = lookup;
    }

    @Override
    public void start(long[] prompt) {
        if (lookup != null) {
            lookup.start(prompt);
        }
        satDrafts = null;
        withSats = true; // the prefill's SAT block
        proposed = 0;
    }

    @Override
    public void commit(long token) {
        if (lookup != null) {
            lookup.commit(token);
        }
    }

    @Override
    public int satSlotsAtPrefill() {
        return k;
    }

    @Override
    public Proposal propose(int max) {
        Proposal copied = lookup == null ? Proposal.none() : lookup.propose(max);
        withSats = copied.count() == 0; // lookup drafts go without a SAT block (class comment)
        Proposal proposal = withSats ? (satDrafts != null ? satDrafts : Proposal.none()).withSatSlots(k) : copied;
        proposed = proposal.count();
        return proposal;
    }

    @Override
    public void verified(int accepted, SatRows satRows) {
        // The SAT block saw t and every draft: its drafts follow the bonus only if every draft was accepted.
        satDrafts = withSats && accepted == proposed ? satRows.drafts() : null;
    }

    @Override
    public int scratchSlots(int k) {
        return 2 * k + 1; // t, up to k drafts and k SATs
    }
}
