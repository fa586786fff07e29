package io.github.sdsat.repro.support;

import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.results.Environment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Writes the report-wide Allure files into the results directory: {@code categories.json} (failure categories by
 * message) when the test session opens, and {@code environment.properties} (device, dtype, Java, DJL, model, commit,
 * matrix) when it closes, once the models the tests loaded are known. Registered as a JUnit launcher session listener
 * (META-INF/services).
 */
public final class AllureEnvironment implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        removeEarlierResults();
        try (InputStream in = AllureEnvironment.class.getResourceAsStream("/allure-categories.json")) {
            if (in == null) {
                throw new IllegalStateException("allure-categories.json is missing from the test resources");
            }
            AtomicFiles.write(resultsDirectory().resolve("categories.json"), in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write categories.json into " + resultsDirectory(), e);
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        AtomicFiles.writeString(resultsDirectory().resolve("environment.properties"), properties(environment()));
    }

    /**
     * Deletes the files an earlier run left in the results directory, so the report shows this run only (Allure
     * merges every result file it finds). Only plain files directly inside the directory are removed.
     */
    static void removeEarlierResults() {
        Path dir = resultsDirectory();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot clear earlier Allure results in " + dir, e);
        }
    }

    public static Path resultsDirectory() {
        return Path.of(System.getProperty("allure.results.directory", "target/allure-results"));
    }

    /** The environment entries, sorted by key. */
    static Map<String, String> environment() {
        Map<String, String> env = new TreeMap<>();
        Environment detected = Environment.detect("cpu()", "float32", null, null, null, null);
        env.put(
                "device",
                detected.device() + (detected.cpu() == null ? "" : " " + detected.cpu()) + ", "
                        + Runtime.getRuntime().availableProcessors() + " cores");
        env.put("dtype", detected.dtype());
        env.put("java", detected.javaVersion());
        env.put("djl", detected.djlVersion() == null ? "unknown" : detected.djlVersion() + " (PyTorch engine)");
        env.put("os", detected.os());
        env.put("commit", commit());
        env.put("matrix", Matrix.full() ? "full (-Dsdsat.full=true)" : "CI default");
        Map<String, ReproModel> models = ReproModel.loaded();
        if (models.isEmpty()) {
            env.put("model", "none loaded");
        }
        models.forEach((role, model) -> env.put(
                role.equals("sdsat") ? "model" : "model." + role,
                model.source() + " (" + model.folder() + ", "
                        + model.model().config().numLayers() + " layers, hidden "
                        + model.model().config().hiddenSize() + ", vocab "
                        + model.model().config().vocabSize() + ")"));
        return env;
    }

    static String commit() {
        String given = System.getProperty("sdsat.commit", "").trim();
        if (!given.isEmpty()) {
            return given;
        }
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "HEAD")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (git.waitFor(10, TimeUnit.SECONDS) && git.exitValue() == 0 && out.matches("[0-9a-f]{40}")) {
                return out;
            }
            return "unknown (not a git checkout)";
        } catch (IOException e) {
            return "unknown (git not available)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    /** Java properties text (keys and values escaped by java.util.Properties rules), without the date comment. */
    static String properties(Map<String, String> entries) {
        StringBuilder b = new StringBuilder();
        entries.forEach((key, value) -> b.append(escape(key, true))
                .append('=')
                .append(escape(value, false))
                .append('\n'));
        return b.toString();
    }

    private static String escape(String s, boolean key) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '=', ':' -> b.append(key ? "\\" + c : String.valueOf(c));
                case ' ' -> b.append(key ? "\\ " : " ");
                default -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.toString();
    }
}
