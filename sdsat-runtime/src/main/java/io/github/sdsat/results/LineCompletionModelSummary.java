package io.github.sdsat.results;

/**
 * One model's line-completion scores with 95% percentile-bootstrap intervals over the items, and its held-out bits
 * per byte on the items' text.
 *
 * @param model the label ({@code sdsat} or {@code base})
 * @param modelPath the model folder
 * @param items items scored
 * @param exactMatch share of items whose line was written exactly (greedy {@code ar})
 * @param exactMatchCiLow lower end of its 95% interval
 * @param exactMatchCiHigh upper end
 * @param editSimilarity mean edit similarity
 * @param editSimilarityCiLow lower end of its 95% interval
 * @param editSimilarityCiHigh upper end
 * @param bitsPerByte held-out loss on the items' text (context, target line, newline), in bits per UTF-8 byte
 * @param bitsPerByteCiLow lower end of its 95% interval
 * @param bitsPerByteCiHigh upper end
 */
public record LineCompletionModelSummary(
        String model,
        String modelPath,
        int items,
        double exactMatch,
        double exactMatchCiLow,
        double exactMatchCiHigh,
        double editSimilarity,
        double editSimilarityCiLow,
        double editSimilarityCiHigh,
        double bitsPerByte,
        double bitsPerByteCiLow,
        double bitsPerByteCiHigh) {}
