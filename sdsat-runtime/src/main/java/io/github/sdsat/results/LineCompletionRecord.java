package io.github.sdsat.results;

/**
 * One line completion (the {@code lineCompletion} array of {@code results.json}): what a model and decoder wrote
 * for one held-out line, and how it scored against the true line.
 *
 * @param id the item, {@code package/path:line}
 * @param model the model's label ({@code sdsat} or {@code base})
 * @param decoder the decoder ({@code ar} for plain greedy decoding)
 * @param k SAT tokens per draft, 0 for {@code ar}
 * @param predicted the generated text up to its first newline, trailing whitespace removed
 * @param exact whether {@code predicted} equals the target line (trailing whitespace removed; indentation counts)
 * @param editSimilarity fuzzywuzzy's ratio of predicted and target, in [0, 1]
 */
public record LineCompletionRecord(
        String id, String model, String decoder, int k, String predicted, boolean exact, double editSimilarity) {}
