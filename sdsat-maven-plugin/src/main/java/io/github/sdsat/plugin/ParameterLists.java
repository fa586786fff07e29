package io.github.sdsat.plugin;

import java.util.ArrayList;
import java.util.List;

/** Parses the comma-separated list properties of the goals; errors name the property. */
final class ParameterLists {
    private ParameterLists() {}

    /** Items of {@code "a, b,c"}, trimmed; empty items are refused. */
    static List<String> strings(String property, String text) {
        List<String> items = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return items;
        }
        for (String item : text.split(",", -1)) {
            String trimmed = item.strip();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException(property + " '" + text + "' has an empty item; write a "
                        + "comma-separated list such as 1,3,5");
            }
            items.add(trimmed);
        }
        return items;
    }

    /** Whole numbers, where {@code a..b} stands for every value from a to b: {@code "1..3,5"} is 1, 2, 3, 5. */
    static List<Integer> ints(String property, String text) {
        List<Integer> values = new ArrayList<>();
        for (String item : strings(property, text)) {
            try {
                int range = item.indexOf("..");
                if (range >= 0) {
                    int from = Integer.parseInt(item.substring(0, range).strip());
                    int to = Integer.parseInt(item.substring(range + 2).strip());
                    if (to < from) {
                        throw new IllegalArgumentException(property + ": range '" + item + "' runs backwards; "
                                + "write it low..high, e.g. 1..13");
                    }
                    for (int v = from; v <= to; v++) {
                        values.add(v);
                    }
                } else {
                    values.add(Integer.parseInt(item));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        property + ": '" + item + "' is not a whole number or a range "
                                + "a..b; write e.g. 1,3,5 or 1..13",
                        e);
            }
        }
        return values;
    }

    /** Decimal numbers. */
    static List<Double> doubles(String property, String text) {
        List<Double> values = new ArrayList<>();
        for (String item : strings(property, text)) {
            try {
                values.add(Double.parseDouble(item));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        property + ": '" + item + "' is not a number; write e.g. " + "0,0.2,1.0", e);
            }
        }
        return values;
    }
}
