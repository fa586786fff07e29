package io.github.sdsat.results;

/**
 * Whether a measure can tell two models apart on this data: a measure at 0 for both (or at 1 for both) says nothing
 * about a difference, so a gate on it is reported as uninformative, never as a pass.
 *
 * @param measure e.g. {@code lineCompletion.exactMatch} or {@code humaneval.passAt1}
 * @param value the measure of the model under test
 * @param baselineValue the measure of the baseline
 * @param informative whether at least one model is above 0 and at least one below 1
 */
public record MeasureDiscrimination(String measure, double value, double baselineValue, boolean informative) {

    /** The discrimination of a measure with these two values. */
    public static MeasureDiscrimination of(String measure, double value, double baselineValue) {
        return new MeasureDiscrimination(measure, value, baselineValue, isInformative(value, baselineValue));
    }

    /** At least one value above 0 and at least one below 1. */
    public static boolean isInformative(double value, double baselineValue) {
        return Math.max(value, baselineValue) > 0.0 && Math.min(value, baselineValue) < 1.0;
    }

    /** {@code informative} or {@code uninformative (both 0)} / {@code uninformative (both 1)}, for reports. */
    public String verdict() {
        if (informative) {
            return "informative";
        }
        return Math.max(value, baselineValue) <= 0.0 ? "uninformative (both 0)" : "uninformative (both 1)";
    }
}
