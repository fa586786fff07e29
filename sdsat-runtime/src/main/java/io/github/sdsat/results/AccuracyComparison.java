package io.github.sdsat.results;

/**
 * A paired comparison of two accuracy rows over the same problems: the per-problem difference of the share of
 * passing samples (under greedy: +1, 0 or -1 per problem), its mean and a 95% confidence interval (the normal
 * approximation, mean +- 1.96 standard errors of the per-problem differences).
 *
 * @param row the row compared (e.g. {@code sdsat/ar T0})
 * @param baseline the row it is compared with (e.g. {@code base/ar T0})
 * @param problems problems paired
 * @param passAt1 pass@1 of {@code row}
 * @param baselinePassAt1 pass@1 of {@code baseline}
 * @param difference {@code passAt1 - baselinePassAt1}, the mean per-problem difference
 * @param ciLow lower end of the 95% confidence interval of the difference
 * @param ciHigh upper end
 * @param better problems where {@code row} passes more often
 * @param worse problems where it passes less often
 */
public record AccuracyComparison(
        String row,
        String baseline,
        int problems,
        double passAt1,
        double baselinePassAt1,
        double difference,
        double ciLow,
        double ciHigh,
        int better,
        int worse) {}
