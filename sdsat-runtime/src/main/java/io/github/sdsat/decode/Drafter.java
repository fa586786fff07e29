package io.github.sdsat.decode;

/**
 * Proposes draft tokens from the committed context (prompt + output so far) without a forward pass of its own, as
 * vLLM's proposers and Hugging Face's candidate generators do. {@link DraftVerifyDecoder} verifies the proposals in
 * one pass per loop.
 *
 * <p>A drafter is stateful across one generation and not thread-safe: {@link #start} begins a generation,
 * {@link #commit} reports each token that became part of the context, and {@link #propose} is asked before every
 * verification pass.
 *
 * <p>The drafters here are deterministic: their proposal distribution is a point mass on each draft, so under
 * lossless sampling draft d is accepted with probability p(d) and a rejection samples p with d removed,
 * renormalised ({@link SpeculativeSampling#verifyChain} with point-mass proposals).
 */
public interface Drafter {
    /** Begins a generation whose context is {@code prompt} (the drafter must not keep or modify the array). */
    void start(long[] prompt);

    /** {@code token} was appended to the context (emitted by the decoder). */
    void commit(long token);

    /**
     * Writes up to {@code max} drafts, the tokens the drafter expects after the context, into {@code out[0..)} and
     * returns how many it wrote; 0 when it has no proposal (the loop then runs a plain one-token pass).
     */
    int propose(long[] out, int max);
}
