package io.github.sdsat.repro.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/** The gates' thresholds from {@code src/test/resources/thresholds.properties} (each value's reason is written there). */
public final class Thresholds {
    public static final String RESOURCE = "/thresholds.properties";
    private static final Properties VALUES = load();

    private Thresholds() {}

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Thresholds.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the test classpath: restore "
                        + "reproduction-tests/src/test/resources/thresholds.properties");
            }
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + RESOURCE + ": " + e, e);
        }
        return p;
    }

    public static boolean has(String key) {
        return VALUES.containsKey(key);
    }

    public static String string(String key) {
        String v = VALUES.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(
                    "Threshold " + key + " is not set in " + RESOURCE + ": add it with a comment giving its reason");
        }
        return v.trim();
    }

    public static double number(String key) {
        String v = string(key);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(
                    "Threshold " + key + " = '" + v + "' in " + RESOURCE + " is not a number", e);
        }
    }

    public static int integer(String key) {
        return (int) Math.round(number(key));
    }
}
