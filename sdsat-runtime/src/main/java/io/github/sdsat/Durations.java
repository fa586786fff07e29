package io.github.sdsat;

import java.util.Locale;

/** The one way progress lines write a length of time (elapsed, time left): {@code 42s}, {@code 3m05s}, {@code 1h02m03s}. */
public final class Durations {
    private Durations() {}

    /** Whole seconds as {@code 42s}, {@code 3m05s} or {@code 1h02m03s}; {@code ?} for a negative or unknown time. */
    public static String format(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "?"; // an estimate with nothing to go on yet
        }
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
