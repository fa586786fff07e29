package io.github.sdsat.train;

/**
 * Linear warmup from 0 to the peak rate, then cosine decay to {@code minRatio} × peak at {@code totalSteps}
 * (and flat after it, so that a run extended beyond its plan does not blow up).
 */
public record LearningRateSchedule(double peak, int warmupSteps, int totalSteps, double minRatio) {
    public LearningRateSchedule {
        if (!(peak > 0) || warmupSteps < 0 || totalSteps <= 0 || !(minRatio >= 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("Learning-rate schedule needs peak > 0, warmupSteps >= 0, "
                    + "totalSteps > 0 and minRatio in [0, 1]; got " + peak + ", " + warmupSteps + ", " + totalSteps
                    + ", " + minRatio);
        }
    }

    /** Rate for the update with 0-based index {@code step}. */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return peak * (minRatio + (1 - minRatio) * cosine);
    }
}
