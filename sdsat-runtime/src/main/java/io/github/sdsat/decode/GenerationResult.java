package io.github.sdsat.decode;

/**
 * The output of one generation.
 *
 * @param promptIds ids as fed to the model (BOS included when the caller added it)
 * @param outputIds generated ids, the stop token included when one ended generation
 * @param stats counters and timings
 * @param stopReason "eos" (a stop token was emitted) or "length" (maxNewTokens reached)
 * @param fromDraft per output id: true when it was a draft accepted by verification, false when a pass decided it
 *     (prefill, bonus token, autoregressive step)
 */
public record GenerationResult(
        long[] promptIds, long[] outputIds, GenerationStats stats, String stopReason, boolean[] fromDraft) {
    public GenerationResult {
        if (fromDraft.length != outputIds.length) {
            throw new IllegalArgumentException(
                    "fromDraft holds " + fromDraft.length + " flags for " + outputIds.length + " output ids");
        }
    }

    /** A result whose tokens were all decided by passes (no accepted drafts). */
    public GenerationResult(long[] promptIds, long[] outputIds, GenerationStats stats, String stopReason) {
        this(promptIds, outputIds, stats, stopReason, new boolean[outputIds.length]);
    }
}
