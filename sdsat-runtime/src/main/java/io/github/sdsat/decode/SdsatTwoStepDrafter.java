package io.github.sdsat.decode;

/**
 * SDSAT's two-step scheme (docs/DESIGN.md §4) as a drafter of {@link DraftVerifyDecoder}: each loop is a draft pass
 * {@code [t, S×k]} (no drafts, k SAT slots) and a verify pass {@code [t1, d2..d(k+1)]} (the SAT rows' drafts),
 * committing 2..k+2 tokens per two passes.
 *
 * <p>The draft pass verifies nothing: its row at t is the exact next token t1 (the loop's bonus: argmax, or a sample
 * of the exact distribution), and SAT row j drafts position n+j+1, the j-th token after t1 (argmax, or drawn from the
 * row's processed distribution q_j, which the verify pass then accepts per {@link SamplingMode}). At temperature 0
 * every committed token is the argmax of a pass whose context is exactly the committed prefix, so the output equals
 * autoregressive greedy decoding.
 */
public final class SdsatTwoStepDrafter implements Drafter {
    public static final String NAME = "sdsat";
    /** The benchmark's two-step oracle ({@link Decoders#oracleTwoStep}; not in {@link Decoders#names()}). */
    public static final String ORACLE_NAME = "oracle-two-step";

    private final int k;
    /**
     * Benchmark only: when not null, the drafts of each verify pass are this output's next k tokens instead of the SAT
     * rows' (the draft pass still runs, at the same width, for t1 and its cost), [referenceLength].
     */
    private final long[] reference;

    /** The SAT rows' drafts of the last draft pass, to verify next; null when the next pass is a draft pass. */
    private Proposal satDrafts;

    private int committed;

    SdsatTwoStepDrafter(int k, long[] reference) {
        this.k = k;
        this.reference = reference;
    }

    @Override
    public void start(long[] prompt) {
        satDrafts = null;
        committed = 0;
    }

    @Override
    public void commit(long token) {
        committed++;
    }

    @Override
    public Proposal propose(int max) {
        if (satDrafts == null) {
            return Proposal.none().withSatSlots(k); // the draft pass
        }
        Proposal verify = satDrafts.continuingLoop();
        satDrafts = null;
        if (reference == null) {
            return verify;
        }
        // the oracle's drafts: the reference's tokens at the next output indices (a filler past its end, which
        // verification rejects or the length limit never reaches)
        long[] drafts = new long[k];
        for (int j = 0; j < k; j++) {
            int index = committed + j; // committed = output tokens so far
            drafts[j] = index < reference.length ? reference[index] : 0;
        }
        return Proposal.pointMasses(drafts).continuingLoop();
    }

    @Override
    public void verified(int accepted, SatRows satRows) {
        if (satRows.count() > 0) {
            satDrafts = satRows.drafts();
        }
    }

    @Override
    public int scratchSlots(int k) {
        return k + 2;
    }
}
