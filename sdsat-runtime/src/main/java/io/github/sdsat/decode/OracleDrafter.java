package io.github.sdsat.decode;

/**
 * Benchmark-only drafter: proposes the next tokens of a fixed reference output (typically a previous
 * autoregressive run's output ids on the same prompt). While the output follows the reference every draft is
 * accepted, so a run measures the verification loop's ceiling: k + 1 tokens per pass of k + 1 tokens.
 *
 * <p>It drafts by output position, reference[i..i+k) after i output tokens, whatever the output was; once the
 * output leaves the reference (sampling, or a different model) the drafts are simply rejected by verification.
 */
final class OracleDrafter implements Drafter {
    /** The reference output, [referenceLength]; never modified. */
    private final long[] reference;

    private int committed;

    OracleDrafter(long[] referenceOutput) {
        if (referenceOutput == null) {
            throw new IllegalArgumentException("The oracle drafter needs a reference output: pass the output ids "
                    + "of a previous (autoregressive) run on the same prompt");
        }
        this.reference = referenceOutput.clone();
    }

    @Override
    public void start(long[] prompt) {
        committed = 0; // the prompt is not part of the reference
    }

    @Override
    public void commit(long token) {
        committed++;
    }

    @Override
    public Proposal propose(int max) {
        long[] drafts = new long[max];
        int count = propose(drafts, max);
        return count == 0 ? Proposal.none() : Proposal.pointMasses(java.util.Arrays.copyOf(drafts, count));
    }

    /** Writes up to {@code max} drafts into {@code out[0..)} and returns how many. */
    int propose(long[] out, int max) {
        int from = committed; // output tokens so far = the reference index to draft from
        int count = Math.max(0, Math.min(Math.min(max, out.length), reference.length - from));
        System.arraycopy(reference, from, out, 0, count);
        return count;
    }
}
