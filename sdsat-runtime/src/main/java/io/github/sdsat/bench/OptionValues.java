package io.github.sdsat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values of the benchmark command lines ({@link CostCurve}, {@link OracleBenchmark}), parsed with errors that
 * name the option, what it takes and the usage line.
 */
final class OptionValues {
    /** {@code low-high}, both ends included. */
    private static final Pattern RANGE = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)");
    /** No option here needs more values than this; a longer range is a typing slip, refused before it is built. */
    private static final int MAX_RANGE = 65_536;

    private OptionValues() {}

    /** An integer, or an error naming the option. */
    static int integer(String option, String value, String usage) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes an integer, got '" + value + "'; " + usage);
        }
    }

    /** An integer of at least {@code min}. */
    static int atLeast(String option, String value, int min, String usage) {
        int v = integer(option, value, usage);
        if (v < min) {
            throw new IllegalArgumentException(option + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    /**
     * A comma-separated list of integers and {@code low-high} ranges (both ends included), in the order written:
     * {@code 1-8,10,12,16} is 1 to 8, then 10, 12 and 16. Blank items are skipped, so empty text is an empty list.
     */
    static List<Integer> integers(String option, String value, String usage) {
        List<Integer> out = new ArrayList<>();
        for (String item : value.split(",")) {
            String text = item.strip();
            if (text.isEmpty()) {
                continue;
            }
            Matcher range = RANGE.matcher(text);
            if (!range.matches()) {
                out.add(integer(option, text, usage));
                continue;
            }
            int low = integer(option, range.group(1), usage);
            int high = integer(option, range.group(2), usage);
            if (low > high) {
                throw new IllegalArgumentException(option + " range '" + text + "' runs backwards: write it low-high, "
                        + "e.g. " + high + "-" + low);
            }
            if ((long) high - low >= MAX_RANGE) {
                throw new IllegalArgumentException(option + " range '" + text + "' spans more than " + MAX_RANGE
                        + " values; give the values you mean, e.g. 1-16 or 0,512");
            }
            for (int v = low; v <= high; v++) {
                out.add(v);
            }
        }
        return out;
    }
}
