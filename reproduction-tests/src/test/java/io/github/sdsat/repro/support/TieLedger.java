package io.github.sdsat.repro.support;

import java.util.ArrayList;
import java.util.List;

/**
 * Counts the compared runs of an equivalence matrix and those that ended in a numerical tie, and decides whether the
 * tie share is within its bound ({@link #boundFromThresholds}: derived from the measured near-tie rate).
 */
public final class TieLedger {
    private final double maxShare;
    private int compared;
    private final List<String> ties = new ArrayList<>();

    public TieLedger(double maxShare) {
        this.maxShare = maxShare;
    }

    /**
     * The share of runs of {@code tokens} tokens that may tie: {@code equivalence.tieShareFactor} x the share of
     * runs expected to contain a near-tie position at {@code equivalence.nearTieRatePerToken}, 1 - (1 - rate)^tokens.
     */
    public static double boundFromThresholds(int tokens) {
        double rate = Thresholds.number("equivalence.nearTieRatePerToken");
        return Math.min(1, Thresholds.number("equivalence.tieShareFactor") * (1 - Math.pow(1 - rate, tokens)));
    }

    public double maxShare() {
        return maxShare;
    }

    public synchronized void compared(Verdict verdict) {
        compared++;
        if (verdict.kind() == Verdict.Kind.TIE) {
            ties.add(verdict.message());
        }
    }

    public synchronized int comparedRuns() {
        return compared;
    }

    public synchronized List<String> ties() {
        return List.copyOf(ties);
    }

    public synchronized double share() {
        return compared == 0 ? 0 : (double) ties.size() / compared;
    }

    /** Whether the ties are within the bound (the count is rounded down: 1% of 390 runs allows 3 ties). */
    public synchronized boolean withinBound() {
        return ties.size() <= Math.floor(maxShare * compared);
    }

    public synchronized String summary() {
        return "numerical ties in " + ties.size() + " of " + compared + " compared runs (share "
                + String.format(java.util.Locale.ROOT, "%.4f", share()) + ", bound " + maxShare + ")"
                + (ties.isEmpty() ? "" : ":\n  " + String.join("\n  ", ties));
    }
}
