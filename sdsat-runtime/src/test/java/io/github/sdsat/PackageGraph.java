package io.github.sdsat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The dependency graph between the packages under {@code io.github.sdsat}, read from Java sources: an edge
 * {@code a -> b} for each {@code import} (static or not, wildcards included) of, or fully qualified reference to, a
 * type of package {@code b} in a file of package {@code a}. Comments and string literals are skipped, so only code
 * counts. Package names are kept relative to {@code io.github.sdsat} ({@code ""} for the base package itself).
 */
public final class PackageGraph {
    static final String BASE = "io.github.sdsat";

    private static final Pattern PACKAGE = Pattern.compile("\\bpackage\\s+([\\w.]+)\\s*;");
    /** {@code io.github.sdsat[.pkg...].Type} or {@code io.github.sdsat[.pkg...].*}: the package is group 1. */
    private static final Pattern REFERENCE = Pattern.compile(
            "(?<![\\w.])io\\s*\\.\\s*github\\s*\\.\\s*sdsat((?:\\s*\\.\\s*[a-z_][a-z0-9_]*)*)\\s*\\.\\s*(?:[A-Z]|\\*)");

    private final Map<String, Set<String>> edges;

    private PackageGraph(Map<String, Set<String>> edges) {
        this.edges = edges;
    }

    /** A graph given by hand: package -> packages it depends on. */
    public static PackageGraph of(Map<String, ? extends Iterable<String>> dependencies) {
        Map<String, Set<String>> edges = new TreeMap<>();
        dependencies.forEach((from, targets) -> {
            Set<String> set = edges.computeIfAbsent(from, k -> new TreeSet<>());
            for (String to : targets) {
                edges.computeIfAbsent(to, k -> new TreeSet<>());
                if (!to.equals(from)) {
                    set.add(to);
                }
            }
        });
        return new PackageGraph(edges);
    }

    /** The graph of the {@code .java} files under a source root (such as {@code src/main/java}). */
    public static PackageGraph ofSources(Path sourceRoot) {
        Map<String, List<String>> dependencies = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                String code = codeOnly(Files.readString(file, StandardCharsets.UTF_8));
                Matcher p = PACKAGE.matcher(code);
                if (!p.find() || !(p.group(1).equals(BASE) || p.group(1).startsWith(BASE + "."))) {
                    continue;
                }
                String from = relative(p.group(1));
                List<String> targets = dependencies.computeIfAbsent(from, k -> new ArrayList<>());
                Matcher r = REFERENCE.matcher(code.substring(p.end()));
                while (r.find()) {
                    targets.add(relative(BASE + r.group(1).replaceAll("\\s+", "")));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the sources under " + sourceRoot, e);
        }
        return of(dependencies);
    }

    private static String relative(String pkg) {
        return pkg.equals(BASE) ? "" : pkg.substring(BASE.length() + 1);
    }

    /** Every package with the packages it depends on, sorted. */
    public Map<String, Set<String>> edges() {
        Map<String, Set<String>> copy = new TreeMap<>();
        edges.forEach((k, v) -> copy.put(k, Collections.unmodifiableSet(v)));
        return Collections.unmodifiableMap(copy);
    }

    /**
     * A dependency cycle as the list of packages along it, the first repeated at the end ({@code [a, b, a]}), or an
     * empty list when the graph is acyclic.
     */
    public List<String> findCycle() {
        Map<String, Integer> state = new HashMap<>(); // absent: unvisited, 1: on the current path, 2: done
        List<String> path = new ArrayList<>();
        for (String start : edges.keySet()) {
            List<String> cycle = visit(start, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        return List.of();
    }

    private List<String> visit(String node, Map<String, Integer> state, List<String> path) {
        Integer s = state.get(node);
        if (s != null && s == 2) {
            return List.of();
        }
        if (s != null) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
            cycle.add(node);
            return cycle;
        }
        state.put(node, 1);
        path.add(node);
        for (String next : edges.getOrDefault(node, Set.of())) {
            List<String> cycle = visit(next, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return List.of();
    }

    /** One line per package: {@code bench -> decode, model}; the base package is shown as {@code io.github.sdsat}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        edges.forEach((from, to) -> b.append(name(from))
                .append(" -> ")
                .append(String.join(", ", to.stream().map(PackageGraph::name).toList()))
                .append('\n'));
        return b.toString();
    }

    private static String name(String pkg) {
        return pkg.isEmpty() ? BASE : pkg;
    }

    /** The source with comments, string and character literals (text blocks included) blanked out. */
    static String codeOnly(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                while (i < n && source.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int j = i + 3;
                while (j < n && !source.startsWith("\"\"\"", j)) {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(n, j + 3);
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && source.charAt(j) != c && source.charAt(j) != '\n') {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(n, j + 1);
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
