package io.github.sdsat.decode;

/**
 * What a {@link Drafter} asks {@link DraftVerifyDecoder} to run in one pass: drafts d1..dc behind the last decided
 * token t, their draft distributions, and SAT slots appended behind the drafts ({@code [t, d1..dc, S×satSlots]}).
 *
 * @param drafts the draft ids [c], possibly empty
 * @param draftDistributions [c][vocab], drafts[j] drawn from row j; null when every draft is a point mass (a
 *     deterministic drafter, or greedy decoding; vLLM's {@code draft_probs=None})
 * @param satSlots SAT tokens appended behind the drafts; their rows come back through {@link Drafter#verified}
 * @param continuesLoop whether this pass belongs to the loop of the previous pass (the two-step scheme's verify pass)
 *     rather than starting a new loop, so that loops are counted per scheme
 */
public record Proposal(long[] drafts, double[][] draftDistributions, int satSlots, boolean continuesLoop) {
    private static final long[] NO_DRAFTS = {};

    public Proposal {
        if (drafts == null || satSlots < 0) {
            throw new IllegalArgumentException("A proposal needs its draft ids (maybe none) and satSlots >= 0");
        }
        if (draftDistributions != null && draftDistributions.length != drafts.length) {
            throw new IllegalArgumentException("A proposal needs one draft distribution per draft: "
                    + draftDistributions.length + " for " + drafts.length + " drafts");
        }
    }

    /** No drafts and no SAT slots: the pass is a plain one-token step. */
    public static Proposal none() {
        return new Proposal(NO_DRAFTS, null, 0, false);
    }

    /** Deterministic drafts (point masses), no SAT slots. */
    public static Proposal pointMasses(long[] drafts) {
        return new Proposal(drafts, null, 0, false);
    }

    /** This proposal with {@code slots} SAT tokens appended behind its drafts. */
    public Proposal withSatSlots(int slots) {
        return new Proposal(drafts, draftDistributions, slots, continuesLoop);
    }

    /** This proposal as the next pass of the previous pass's loop. */
    public Proposal continuingLoop() {
        return new Proposal(drafts, draftDistributions, satSlots, true);
    }

    /** The number of drafts, c. */
    public int count() {
        return drafts.length;
    }
}
