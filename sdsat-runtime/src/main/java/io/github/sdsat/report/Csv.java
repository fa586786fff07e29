package io.github.sdsat.report;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * RFC 4180 CSV of records: a header of the record's component names, one line per record, {@code \r\n} line
 * ends. Nulls are empty cells; {@code long[]} cells are the numbers separated by spaces; cells holding a comma,
 * quote or line break are quoted.
 */
final class Csv {

    private Csv() {}

    static <R extends Record> String of(Class<R> type, List<R> records) {
        RecordComponent[] components = type.getRecordComponents();
        StringBuilder out = new StringBuilder();
        out.append(Arrays.stream(components)
                        .map(RecordComponent::getName)
                        .map(Csv::cell)
                        .collect(Collectors.joining(",")))
                .append("\r\n");
        for (R record : records) {
            for (int i = 0; i < components.length; i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(cell(valueOf(components[i], record)));
            }
            out.append("\r\n");
        }
        return out.toString();
    }

    private static Object valueOf(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("Cannot read " + component.getName() + " of " + record.getClass(), e);
        }
    }

    private static String cell(Object value) {
        if (value == null) {
            return "";
        }
        String text;
        if (value instanceof long[] numbers) {
            text = Arrays.stream(numbers).mapToObj(Long::toString).collect(Collectors.joining(" "));
        } else {
            text = value.toString();
        }
        if (text.indexOf(',') >= 0 || text.indexOf('"') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }
}
