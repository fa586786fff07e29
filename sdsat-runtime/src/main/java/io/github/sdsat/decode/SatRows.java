package io.github.sdsat.decode;

import java.util.SplittableRandom;

/**
 * The rows of a {@link DraftVerifyDecoder} pass at its SAT slots (a {@link Proposal}'s {@code satSlots}): SAT j's row
 * drafts the j-th token after the pass's bonus token, valid when its context (t and every draft of the pass) was
 * accepted. Greedy passes give each row's argmax, sampling passes its logits.
 */
public final class SatRows {
    /** Greedy: the argmax of every row of the pass [1 + c + slots]; null when sampling. */
    private final long[] argmax;
    /** Sampling: the logits of every row of the pass [1 + c + slots, vocab]; null when greedy. */
    private final float[] logits;

    private final int firstRow;
    private final int slots;
    private final int vocab;
    private final GenerationConfig config;
    private final SplittableRandom random;

    SatRows(
            long[] argmax,
            float[] logits,
            int firstRow,
            int slots,
            int vocab,
            GenerationConfig config,
            SplittableRandom random) {
        this.argmax = argmax;
        this.logits = logits;
        this.firstRow = firstRow;
        this.slots = slots;
        this.vocab = vocab;
        this.config = config;
        this.random = random;
    }

    /** The number of SAT rows (0 when the pass had no SAT slots). */
    public int count() {
        return slots;
    }

    /**
     * The SAT rows' drafts as a proposal: greedy, each row's argmax (point masses); sampling, each row's processed
     * distribution ({@link Sampler#distribution}) and a draw from it, rows in order (the draws come from the
     * generation's seeded random, right after the pass's own draws).
     */
    public Proposal drafts() {
        long[] drafts = new long[slots];
        if (argmax != null) {
            System.arraycopy(argmax, firstRow, drafts, 0, slots);
            return Proposal.pointMasses(drafts);
        }
        double[][] distributions = new double[slots][];
        for (int j = 0; j < slots; j++) {
            distributions[j] = Sampler.distribution(logits, (firstRow + j) * vocab, vocab, config);
            drafts[j] = Sampler.sample(distributions[j], random);
        }
        return new Proposal(drafts, distributions, 0, false);
    }
}
