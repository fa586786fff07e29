package io.github.sdsat.decode;

/**
 * The output of one generation.
 *
 * @param promptIds ids as fed to the model (BOS included when the caller added it)
 * @param outputIds generated ids, the stop token included when one ended generation
 * @param stats counters and timings
 * @param stopReason "eos" (a stop token was emitted) or "length" (maxNewTokens reached)
 */
public record GenerationResult(long[] promptIds, long[] outputIds, GenerationStats stats, String stopReason) {
}
