package io.github.sdsat.decode;

/**
 * What one generation did.
 *
 * @param newTokens tokens emitted (the EOS, when one ended generation, included)
 * @param forwardPasses every model pass, the prefill included
 * @param draftedTokens draft tokens proposed for verification (0 for autoregressive decoding)
 * @param acceptedTokens drafted tokens that verification accepted
 * @param acceptedPerPosition accepted count per draft position (index 0 = the first draft of a loop)
 * @param prefillMs wall time of the prefill pass (and its first-token choice)
 * @param decodeMs wall time after the prefill until the last token was chosen
 * @param tokensPerSecond newTokens / (prefill + decode) seconds
 * @param loops decoding loops after the prefill (one per draft/verify cycle; one per token for autoregressive)
 * @param decodePassesByWidth passes after the prefill by their number of new tokens (index = width): with the
 *     runtime's cost curve T(width) this gives what the generation would cost with zero loop overhead, the
 *     decoder's speedup ceiling (docs/PERFORMANCE.md)
 */
public record GenerationStats(
        int newTokens,
        int forwardPasses,
        long draftedTokens,
        long acceptedTokens,
        long[] acceptedPerPosition,
        double prefillMs,
        double decodeMs,
        double tokensPerSecond,
        int loops,
        long[] decodePassesByWidth) {

    /** Accepted drafts / drafted tokens, or 0 when nothing was drafted. */
    public double acceptRate() {
        return draftedTokens == 0 ? 0 : (double) acceptedTokens / draftedTokens;
    }

    /** Tokens emitted per forward pass (the prefill counts as a pass and emits the first token). */
    public double tokensPerForward() {
        return forwardPasses == 0 ? 0 : (double) newTokens / forwardPasses;
    }

    public double totalMs() {
        return prefillMs + decodeMs;
    }
}
