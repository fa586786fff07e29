package io.github.sdsat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No main source file of any module is longer than {@value #MAX_LINES} lines (issue 27): a class that long does
 * several things, and a newcomer's change spreads through it. Every module the root pom lists (profiles included) is
 * read from its {@code src/main/java}; the repository root is found by walking up from this module's folder.
 */
class MainFileLengthTest {
    static final int MAX_LINES = 400;

    /**
     * Files allowed over the limit, by path from the repository root, with the reason. Only generated code or a
     * kernel unrolled on purpose belongs here; an exemption that is no longer needed fails the test.
     */
    static final Map<String, String> EXEMPT = Map.of(
            "sdsat-runtime/src/main/java/io/github/sdsat/model/VectorCpuKernels.java",
            "deliberately unrolled: one matrix-product method per row block (rows1, rows2, rows3, rows4, rows6), each "
                    + "with its accumulators in named locals and no branch in the inner loop, because the JIT keeps "
                    + "vectors in registers only in such loops (a row-count branch inside ran 5x slower)",
            "sdsat-runtime/src/main/java/io/github/sdsat/model/Bf16RowKernels.java",
            "deliberately unrolled: the bfloat16 twins of VectorCpuKernels' row-block methods (rows1 to rows6), the 1- "
                    + "to 5-row ones taking two inputs per iteration, every accumulator and weight vector a named local "
                    + "for the same reason (a loop over an array of vectors does not stay in registers)");

    /** The modules the root pom lists, in its {@code <module>} elements (those of profiles too). */
    static Set<String> modules(Path root) {
        Set<String> modules = new LinkedHashSet<>();
        Matcher m = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>").matcher(read(root.resolve("pom.xml")));
        while (m.find()) {
            modules.add(m.group(1));
        }
        return modules;
    }

    /**
     * Every {@code .java} file under the modules' {@code src/main/java} with more than {@code maxLines} lines and not
     * in {@code exempt}, as {@code path (N lines)}, and every exemption that names no such file, as
     * {@code path: exempt but ...}.
     */
    static List<String> violations(Path root, Set<String> modules, Map<String, String> exempt, int maxLines) {
        List<String> out = new ArrayList<>();
        Set<String> neededExemptions = new LinkedHashSet<>();
        for (String module : modules) {
            Path sources = root.resolve(module).resolve("src").resolve("main").resolve("java");
            if (!Files.isDirectory(sources)) {
                continue; // a module of tests only (reproduction-tests)
            }
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java"))
                        .sorted()
                        .toList()) {
                    String name = root.relativize(file).toString().replace('\\', '/');
                    long lines = read(file).lines().count();
                    if (lines > maxLines) {
                        if (exempt.containsKey(name)) {
                            neededExemptions.add(name);
                        } else {
                            out.add(name + " (" + lines + " lines)");
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String name : exempt.keySet()) {
            if (!neededExemptions.contains(name)) {
                out.add(name + ": exempt but not a main file over " + maxLines + " lines (remove the exemption)");
            }
        }
        return out;
    }

    /** The repository root: the nearest folder up from here whose pom.xml lists the sdsat-runtime module. */
    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml"))
                    && modules(dir).contains("sdsat-runtime")
                    && Files.isDirectory(dir.resolve("sdsat-runtime"))) {
                return dir;
            }
        }
        throw new AssertionError("No folder above " + Path.of("").toAbsolutePath() + " has a pom.xml listing "
                + "sdsat-runtime: run this test from the repository's sdsat-runtime module");
    }

    @Test
    void noMainSourceFileIsLongerThanTheLimit() {
        Path root = repositoryRoot();
        Set<String> modules = modules(root);
        // guard against reading the wrong folder: the modules with main sources are all there
        assertThat(modules).contains("sdsat-runtime", "sdsat-maven-plugin", "jlama-comparison");
        List<String> violations = violations(root, modules, EXEMPT, MAX_LINES);
        if (!violations.isEmpty()) {
            throw new AssertionError(violations.size() + " main source file(s) over " + MAX_LINES + " lines:\n  "
                    + String.join("\n  ", violations) + "\nSplit each into classes that each do one thing; only "
                    + "generated code or a deliberately unrolled kernel may be exempted, by name with the reason, in "
                    + "MainFileLengthTest.EXEMPT");
        }
    }

    @Test
    void checkerReportsLongFilesAndStaleExemptions(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("pom.xml"), """
                <project><modules><module>a</module></modules>
                  <profiles><profile><modules><module>b</module></modules></profile></profiles></project>
                """);
        write(root, "a/src/main/java/p/Short.java", 5);
        write(root, "a/src/main/java/p/Limit.java", 5);
        write(root, "a/src/main/java/p/Long.java", 6);
        write(root, "a/src/main/java/p/Kernel.java", 9);
        write(root, "a/src/main/resources/p/Big.txt", 50); // not a source file
        write(root, "a/src/test/java/p/LongTest.java", 50); // a test, not a main file
        write(root, "b/src/main/java/q/Other.java", 7);
        write(root, "c/src/main/java/r/NotAModule.java", 50); // no module of the pom
        Set<String> modules = modules(root);
        assertThat(modules).containsExactly("a", "b");

        Map<String, String> exempt =
                Map.of("a/src/main/java/p/Kernel.java", "unrolled", "a/src/main/java/p/Short.java", "stale");
        assertThat(violations(root, modules, exempt, 5))
                .containsExactlyInAnyOrder(
                        "a/src/main/java/p/Long.java (6 lines)",
                        "b/src/main/java/q/Other.java (7 lines)",
                        "a/src/main/java/p/Short.java: exempt but not a main file over 5 lines (remove the exemption)");
        // under a higher limit every file fits, and the kernel's exemption is no longer needed
        assertThat(violations(root, modules, Map.of("a/src/main/java/p/Kernel.java", "unrolled"), 10))
                .containsExactly("a/src/main/java/p/Kernel.java: exempt but not a main file over 10 lines (remove the "
                        + "exemption)");
        assertThat(violations(root, modules, Map.of(), 10)).isEmpty();
    }

    private static void write(Path root, String relative, int lines) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "line\n".repeat(lines));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
