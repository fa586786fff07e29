package io.github.sdsat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's packages depend on each other without a cycle (DESIGN §2): the graph is read from the
 * {@code io.github.sdsat} imports and fully qualified references of {@code src/main/java} and printed.
 */
class PackageCyclesTest {

    /** Fails, naming the cycle and showing the graph, when the graph has one. */
    static void assertAcyclic(PackageGraph graph) {
        List<String> cycle = graph.findCycle();
        if (!cycle.isEmpty()) {
            throw new AssertionError("Package cycle " + String.join(" -> ", cycle) + " in\n" + graph);
        }
    }

    @Test
    void runtimePackagesHaveNoCycle() {
        PackageGraph graph = PackageGraph.ofSources(Path.of("src", "main", "java"));
        System.out.println("[package graph] io.github.sdsat.* in src/main/java:\n" + graph);
        // guard against reading the wrong folder: the known packages are all there
        assertThat(graph.edges())
                .containsKeys("", "model", "tokenizer", "decode", "dataset", "results", "train", "bench", "report");
        assertThat(graph.edges().get("results"))
                .as("results is below bench and report")
                .doesNotContain("bench", "report");
        assertAcyclic(graph);
    }

    @Test
    void checkerFindsCycleInHandMadeGraph() {
        PackageGraph cyclic =
                PackageGraph.of(Map.of("a", List.of("b"), "b", List.of("c"), "c", List.of("a", "d"), "d", List.of()));
        assertThat(cyclic.findCycle()).containsExactly("a", "b", "c", "a");
        assertThatThrownBy(() -> assertAcyclic(cyclic))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("a -> b -> c -> a");

        PackageGraph twoNodes = PackageGraph.of(Map.of("bench", List.of("report"), "report", List.of("bench")));
        assertThatThrownBy(() -> assertAcyclic(twoNodes))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("bench -> report -> bench");

        PackageGraph diamond =
                PackageGraph.of(Map.of("a", List.of("b", "c"), "b", List.of("d"), "c", List.of("d"), "d", List.of()));
        assertThat(diamond.findCycle()).isEmpty();
        assertAcyclic(diamond);
    }

    @Test
    void readsImportsAndQualifiedReferencesButNotCommentsOrStrings(@TempDir Path dir) throws Exception {
        write(dir, "io/github/sdsat/a/A.java", """
                package io.github.sdsat.a;

                import io.github.sdsat.b.B;
                import static io.github.sdsat.c.C.helper;
                import io.github.sdsat.d.*;
                // io.github.sdsat.x.X in a comment
                /** {@link io.github.sdsat.y.Y} in javadoc */
                class A {
                    String s = "io.github.sdsat.z.Z in a string";
                    io.github.sdsat.e.E e = new io.github.sdsat.f.F();
                    Object base = io.github.sdsat.SdsatException.class;
                    Object same = io.github.sdsat.a.Other.class;
                }
                """);
        write(dir, "io/github/sdsat/b/B.java", """
                package io.github.sdsat.b;

                public class B {
                    Object back = io.github.sdsat.a.A.class;
                }
                """);
        write(dir, "other/Foreign.java", """
                package other;

                import io.github.sdsat.a.A;
                """);
        PackageGraph graph = PackageGraph.ofSources(dir);
        assertThat(graph.edges().get("a")).containsExactly("", "b", "c", "d", "e", "f");
        assertThat(graph.edges().get("b")).isEqualTo(Set.of("a"));
        assertThat(graph.edges()).doesNotContainKey("other");
        // the source-level cycle a -> b -> a fails the check
        assertThat(graph.findCycle()).containsExactly("a", "b", "a");
        assertThatThrownBy(() -> assertAcyclic(graph)).isInstanceOf(AssertionError.class);
    }

    private static void write(Path root, String relative, String text) throws Exception {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
