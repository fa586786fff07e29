package io.github.sdsat.results;

import java.util.List;

/**
 * The line-completion verdict of a run: the SDSAT model's exact match is not below the base model's by more than
 * {@code margin}, its held-out bits per byte not above base's by more than {@code bitsPerByteMargin} (relative), and
 * every greedy decoder wrote exactly {@code ar}'s line on every item ({@code rule} says it in words).
 * A measure that cannot discriminate (both models at 0) makes the verdict uninformative, listed in
 * {@code discrimination} and in {@code failures}: it never passes.
 *
 * @param margin the largest drop of exact match (SDSAT model below base) that passes
 * @param bitsPerByteMargin the largest relative increase of bits per byte (SDSAT model over base) that passes
 * @param rule the gate's rule in words
 * @param items items scored
 * @param models the per-model scores, SDSAT model first (only the SDSAT model when the run named no base model)
 * @param differences the paired differences SDSAT model minus base (exact match, edit similarity, bits per byte)
 * @param discrimination whether each measure can tell the models apart
 * @param decoders the greedy decoders checked against {@code ar}, with their k
 * @param decoderMismatches every item where a greedy decoder's line differed from {@code ar}'s
 * @param degradation the true exact-match drop the power is computed against
 * @param power the probability that the gate fails when the SDSAT model's exact match is {@code degradation} below
 *     the base model's (simulated from the measured paired items)
 * @param powerResamples simulated runs behind {@code power}; 0 when it was not computed (no base model)
 * @param passed whether every condition held
 * @param failures each condition that failed, in words
 */
public record LineCompletionGate(
        double margin,
        double bitsPerByteMargin,
        String rule,
        int items,
        List<LineCompletionModelSummary> models,
        List<PairedDifference> differences,
        List<MeasureDiscrimination> discrimination,
        List<String> decoders,
        List<LineCompletionMismatch> decoderMismatches,
        double degradation,
        double power,
        int powerResamples,
        boolean passed,
        List<String> failures) {

    public LineCompletionGate {
        models = models == null ? List.of() : List.copyOf(models);
        differences = differences == null ? List.of() : List.copyOf(differences);
        discrimination = discrimination == null ? List.of() : List.copyOf(discrimination);
        decoders = decoders == null ? List.of() : List.copyOf(decoders);
        decoderMismatches = decoderMismatches == null ? List.of() : List.copyOf(decoderMismatches);
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    /**
     * The exact-match rule: the measured difference (SDSAT model minus base) below {@code -margin}; 1e-12 so that a
     * difference of exactly {@code -margin} passes whatever the floating-point rounding.
     */
    public static boolean exactMatchFails(double difference, double margin) {
        return difference < -margin - 1e-12;
    }

    /** The loss rule: the SDSAT model's bits per byte more than {@code margin} (relative) above base's. */
    public static boolean bitsPerByteFails(double bitsPerByte, double baseBitsPerByte, double margin) {
        return bitsPerByte > baseBitsPerByte * (1 + margin) + 1e-12;
    }
}
