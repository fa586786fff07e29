package io.github.sdsat.results;

/**
 * A paired comparison of two models on the same items for one measure: the mean per-item difference with a 95%
 * paired percentile-bootstrap interval (items resampled together for both models), and the discordant counts
 * (McNemar's b and c for exact match).
 *
 * @param measure e.g. {@code exactMatch} or {@code editSimilarity}
 * @param model the model compared (e.g. {@code sdsat})
 * @param baseline the model it is compared with (e.g. {@code base})
 * @param items items paired
 * @param value the measure of {@code model}
 * @param baselineValue the measure of {@code baseline}
 * @param difference {@code value - baselineValue}
 * @param ciLow lower end of the 95% interval of the difference
 * @param ciHigh upper end
 * @param better items where {@code model} scores higher
 * @param worse items where it scores lower
 */
public record PairedDifference(
        String measure,
        String model,
        String baseline,
        int items,
        double value,
        double baselineValue,
        double difference,
        double ciLow,
        double ciHigh,
        int better,
        int worse) {}
