package io.github.sdsat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Copies of records with some components replaced. A settings record's component list is then its one field list:
 * a new component needs no hand-written copy method to be carried over (ReproductionConfig, TrainingRecipe,
 * Environment).
 */
public final class Records {
    private Records() {}

    /**
     * A copy of {@code record} with the components named in {@code changes} replaced (through the canonical
     * constructor, so its checks run on the copy).
     *
     * @throws IllegalArgumentException when a key names no component of the record
     */
    @SuppressWarnings("unchecked")
    public static <R extends Record> R copyWith(R record, Map<String, ?> changes) {
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        Set<String> unused = new HashSet<>(changes.keySet());
        for (int i = 0; i < components.length; i++) {
            String name = components[i].getName();
            types[i] = components[i].getType();
            values[i] = changes.containsKey(name) ? changes.get(name) : value(record, components[i]);
            unused.remove(name);
        }
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(record.getClass().getSimpleName() + " has no component named " + unused);
        }
        try {
            return (R) record.getClass().getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("The canonical constructor of a public record is accessible", e);
        }
    }

    /**
     * {@link #copyWith(Record, Map)} with the changes given as name, value, name, value, … (values may be null,
     * which {@link Map#of} does not allow).
     */
    public static <R extends Record> R copyWith(R record, Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException(
                    "Changes come as name, value pairs; got " + namesAndValues.length + " arguments");
        }
        Map<String, Object> changes = new java.util.HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            changes.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return copyWith(record, changes);
    }

    /**
     * Every component of {@code record} by its name, in declaration order (as a settings record writes itself to
     * results.json: a new component appears there without further code).
     */
    public static Map<String, Object> components(Record record) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            map.put(component.getName(), value(record, component));
        }
        return map;
    }

    /** The value of one component of {@code record}. */
    public static Object value(Record record, RecordComponent component) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("The accessors of a public record are accessible", e);
        }
    }
}
