package io.github.sdsat.bench;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values of the benchmark command lines ({@link CostCurve}, {@link OracleBenchmark}, {@link SoakBenchmark}, and the
 * Jlama comparison's two mains outside the default build), parsed with errors that name the option, what it takes and
 * the usage line.
 */
public final class OptionValues {
    /** {@code low-high}, both ends included. */
    private static final Pattern RANGE = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)");
    /** No option here needs more values than this; a longer range is a typing slip, refused before it is built. */
    private static final int MAX_RANGE = 65_536;

    private OptionValues() {}

    /** One option of a command line: the flag and the value after it. */
    public record Option(String flag, String value) {}

    /**
     * The command line as flag-value pairs, in the order written. A flag without a value fails when the iteration
     * reaches it (so an earlier option's bad value is reported first, as it is checked first); {@code --help} or
     * {@code -h} in a flag's place fails with the usage line.
     */
    public static Iterable<Option> options(String[] args, String usage) {
        return () -> new Iterator<>() {
            private int next = 0;

            @Override
            public boolean hasNext() {
                return next < args.length;
            }

            @Override
            public Option next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                String flag = args[next];
                if (flag.equals("--help") || flag.equals("-h")) {
                    throw new IllegalArgumentException(usage);
                }
                if (next + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value; " + usage);
                }
                next += 2;
                return new Option(flag, args[next - 1]);
            }
        };
    }

    /** An integer, or an error naming the option. */
    public static int integer(String option, String value, String usage) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes an integer, got '" + value + "'; " + usage);
        }
    }

    /** An integer of at least {@code min}. */
    public static int atLeast(String option, String value, int min, String usage) {
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
    public static List<Integer> integers(String option, String value, String usage) {
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
