package io.github.sdsat.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A fixed draft tree of SDSAT's sampling mode (the paper's {@code tree_depth_5/7/9/11/13}).
 *
 * <p>The draft pass feeds {@code [t, SAT x k]}. Its output at {@code t} decides the <em>root</em> token exactly
 * (node 0, depth 0, always accepted); its output at SAT {@code d} gives a ranked candidate list (top candidates
 * sampled without replacement) for tree depth {@code d = 1..k}. Every other node is written in the shipped
 * resource {@code sdsat-trees.json} as its path of candidate ranks from the root: {@code [2]} is the rank-2
 * candidate at depth 1, {@code [0,1]} the rank-1 candidate at depth 2 under the rank-0 node at depth 1. A node's
 * token depends only on its depth and rank (Cartesian, Medusa-style).
 *
 * <p><b>Node order.</b> Node 0 is the root; nodes 1..size-1 are the rank paths sorted by length (= depth), then
 * lexicographically by rank. Hence every parent precedes its children and the nodes of one depth are contiguous;
 * the shipped file already lists its paths in this order, so node {@code i} is file entry {@code i-1}.
 *
 * <p><b>Tree attention.</b> During verification each node sees the whole cached context, the root, its ancestors
 * and itself; it sits at position {@code rootPosition + depth}.
 *
 * <p><b>Padding.</b> {@link #leafPaths()} pads short paths with {@link #PAD} = -1, which is never a node index.
 * (The official SDSAT code pads with a value that can alias a real tree node, so a padded path can silently
 * select a real node's logits; we avoid that.)
 *
 * <p>Instances are immutable and thread-safe; the bundled trees are loaded once.
 */
public final class DraftTree {

    /** Padding value in {@link #leafPaths()}; never a valid node index. */
    public static final int PAD = -1;

    private static final String RESOURCE = "sdsat-trees.json";
    private static final String KEY_PREFIX = "tree_depth_";

    private final int[][] rankPaths; // per node; the root's is empty
    private final int[] parent; // per node; root: -1
    private final int[] nodeDepth;
    private final int[][] children; // per node, ordered by rank
    private final int depth;
    private final int[] maxRank; // per depth 0..depth
    private final boolean[][] visible; // [node][node]: column is the row's ancestor or itself
    private final int[][] leafPaths;

    private DraftTree(List<int[]> sortedPaths) {
        int n = sortedPaths.size() + 1;
        rankPaths = new int[n][];
        rankPaths[0] = new int[0];
        for (int i = 1; i < n; i++) {
            rankPaths[i] = sortedPaths.get(i - 1).clone();
        }
        Map<List<Integer>, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) {
            index.put(asList(rankPaths[i]), i);
        }
        parent = new int[n];
        nodeDepth = new int[n];
        parent[0] = -1;
        int maxDepth = 0;
        for (int i = 1; i < n; i++) {
            int[] p = rankPaths[i];
            Integer par = index.get(asList(Arrays.copyOf(p, p.length - 1)));
            if (par == null) {
                throw new IllegalArgumentException("draft-tree node " + Arrays.toString(p) + " has no parent "
                        + Arrays.toString(Arrays.copyOf(p, p.length - 1))
                        + " in the tree; every prefix of a rank path must itself be a node");
            }
            parent[i] = par;
            nodeDepth[i] = p.length;
            maxDepth = Math.max(maxDepth, p.length);
        }
        depth = maxDepth;

        List<List<Integer>> kids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            kids.add(new ArrayList<>());
        }
        for (int i = 1; i < n; i++) {
            kids.get(parent[i]).add(i);
        }
        children = new int[n][];
        for (int i = 0; i < n; i++) {
            children[i] = kids.get(i).stream()
                    .sorted(Comparator.comparingInt(this::rankOf))
                    .mapToInt(Integer::intValue)
                    .toArray();
        }

        maxRank = new int[depth + 1];
        for (int i = 1; i < n; i++) {
            maxRank[nodeDepth[i]] = Math.max(maxRank[nodeDepth[i]], rankOf(i));
        }

        visible = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int a = i; a != -1; a = parent[a]) {
                visible[i][a] = true;
            }
        }

        List<int[]> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (children[i].length == 0) {
                int[] padded = new int[depth + 1];
                Arrays.fill(padded, PAD);
                int[] path = pathTo(i);
                System.arraycopy(path, 0, padded, 0, path.length);
                leaves.add(padded);
            }
        }
        leafPaths = leaves.toArray(new int[0][]);
    }

    /**
     * The paper's tree for {@code k} SATs (tree depth {@code k}).
     *
     * @throws IllegalArgumentException if no bundled tree has that depth; the message lists the valid depths
     */
    public static DraftTree forDepth(int k) {
        DraftTree tree = Bundled.TREES.get(k);
        if (tree == null) {
            throw new IllegalArgumentException("no SDSAT draft tree of depth " + k + " (number of SATs); valid depths: "
                    + supportedDepths() + " (from " + RESOURCE + ")");
        }
        return tree;
    }

    /** Depths of the bundled trees, ascending: 5, 7, 9, 11, 13. */
    public static Set<Integer> supportedDepths() {
        return Collections.unmodifiableSet(Bundled.TREES.keySet());
    }

    /**
     * Builds a tree from rank paths (each path non-empty, ranks non-negative, no duplicates, every prefix present).
     * The paths may come in any order; nodes are numbered as described in the class comment.
     */
    public static DraftTree of(List<int[]> rankPaths) {
        if (rankPaths.isEmpty()) {
            throw new IllegalArgumentException("a draft tree needs at least one node besides the root");
        }
        Set<List<Integer>> seen = new HashSet<>();
        List<int[]> sorted = new ArrayList<>();
        for (int[] p : rankPaths) {
            if (p == null || p.length == 0) {
                throw new IllegalArgumentException("draft-tree rank paths must be non-empty (the root is implicit)");
            }
            for (int r : p) {
                if (r < 0) {
                    throw new IllegalArgumentException(
                            "draft-tree rank path " + Arrays.toString(p) + " has a negative rank");
                }
            }
            if (!seen.add(asList(p))) {
                throw new IllegalArgumentException("draft-tree rank path " + Arrays.toString(p) + " appears twice");
            }
            sorted.add(p.clone());
        }
        sorted.sort(Comparator.<int[]>comparingInt(p -> p.length).thenComparing(Arrays::compare));
        return new DraftTree(sorted);
    }

    /** Number of nodes including the root. */
    public int size() {
        return rankPaths.length;
    }

    /** Tree depth = number of SATs k = length of the longest rank path. */
    public int depth() {
        return depth;
    }

    /** Depth of a node; the root has depth 0. */
    public int depthOf(int node) {
        return nodeDepth[check(node)];
    }

    /** Parent node index; -1 for the root. */
    public int parentOf(int node) {
        return parent[check(node)];
    }

    /** Candidate rank of the node within its depth's candidate list; the root (exact token) reports 0. */
    public int rankOf(int node) {
        int[] p = rankPaths[check(node)];
        return p.length == 0 ? 0 : p[p.length - 1];
    }

    /** The node's rank path from the root (empty for the root); a copy. */
    public int[] rankPath(int node) {
        return rankPaths[check(node)].clone();
    }

    /** Child node indices ordered by rank; a copy. */
    public int[] children(int node) {
        return children[check(node)].clone();
    }

    public boolean isLeaf(int node) {
        return children[check(node)].length == 0;
    }

    /** Node indices from the root to {@code node}, both included. */
    public int[] pathTo(int node) {
        int[] path = new int[depthOf(node) + 1];
        for (int a = node, i = path.length - 1; a != -1; a = parent[a], i--) {
            path[i] = a;
        }
        return path;
    }

    /** Largest candidate rank used at depth {@code d} (0 for the root's depth 0). */
    public int maxRankAtDepth(int d) {
        checkDepth(d);
        return maxRank[d];
    }

    /** How many ranked candidates depth {@code d} needs: {@code maxRankAtDepth(d) + 1}. */
    public int candidatesNeededAtDepth(int d) {
        return maxRankAtDepth(d) + 1;
    }

    /**
     * Additive tree attention mask, row-major {@code [size, cached + size]}: 0 where allowed, -inf elsewhere. Row
     * {@code i} allows all {@code cached} context columns and, among the tree columns {@code cached + j}, exactly
     * the root, the ancestors of node {@code i} and node {@code i} itself.
     */
    public float[] attentionMask(int cached) {
        if (cached < 0) {
            throw new IllegalArgumentException("cached length must be >= 0, got " + cached);
        }
        int n = size();
        int width = cached + n;
        float[] mask = new float[n * width];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (!visible[i][j]) {
                    mask[i * width + cached + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return mask;
    }

    /**
     * Position of each node: {@code rootPosition + depthOf(node)}. With {@code n} committed tokens in the cache
     * (positions 0..n-1), the root sits at {@code rootPosition = n}.
     */
    public long[] positions(long rootPosition) {
        if (rootPosition < 0) {
            throw new IllegalArgumentException("root position must be >= 0, got " + rootPosition);
        }
        long[] pos = new long[size()];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = rootPosition + nodeDepth[i];
        }
        return pos;
    }

    /**
     * One row per leaf (in node order): the node indices from the root to the leaf, padded to {@code depth()+1}
     * entries with {@link #PAD} (-1, never a real node). A copy.
     */
    public int[][] leafPaths() {
        int[][] copy = new int[leafPaths.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = leafPaths[i].clone();
        }
        return copy;
    }

    /**
     * Token of every node: the root gets {@code root}; a node at depth {@code d} with rank {@code r} gets
     * {@code candidatesByDepth[d-1][r]}. {@code candidatesByDepth} must have exactly {@link #depth()} rows (the
     * draft pass's SAT outputs, depth 1 first), row {@code d-1} holding at least
     * {@link #candidatesNeededAtDepth(int) candidatesNeededAtDepth(d)} ranked candidates.
     */
    public long[] tokens(long root, long[][] candidatesByDepth) {
        if (candidatesByDepth.length != depth) {
            throw new IllegalArgumentException("candidatesByDepth has " + candidatesByDepth.length
                    + " rows but this draft tree has depth " + depth + "; pass one ranked candidate list per SAT");
        }
        for (int d = 1; d <= depth; d++) {
            long[] row = candidatesByDepth[d - 1];
            int needed = candidatesNeededAtDepth(d);
            if (row == null || row.length < needed) {
                throw new IllegalArgumentException("candidatesByDepth[" + (d - 1) + "] (depth " + d + ") has "
                        + (row == null ? 0 : row.length) + " candidates but the depth-" + depth
                        + " tree needs " + needed);
            }
        }
        long[] tokens = new long[size()];
        tokens[0] = root;
        for (int i = 1; i < tokens.length; i++) {
            tokens[i] = candidatesByDepth[nodeDepth[i] - 1][rankOf(i)];
        }
        return tokens;
    }

    @Override
    public String toString() {
        return "DraftTree[depth=" + depth + ", nodes=" + size() + ", leaves=" + leafPaths.length + "]";
    }

    private int check(int node) {
        if (node < 0 || node >= rankPaths.length) {
            throw new IndexOutOfBoundsException(
                    "draft-tree node " + node + " out of range [0, " + rankPaths.length + ")");
        }
        return node;
    }

    private void checkDepth(int d) {
        if (d < 0 || d > depth) {
            throw new IllegalArgumentException("depth " + d + " out of range [0, " + depth + "] for this tree");
        }
    }

    private static List<Integer> asList(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    /** Lazily loaded bundled trees (class-holder idiom: loaded on first use, once). */
    private static final class Bundled {
        static final Map<Integer, DraftTree> TREES = load();

        private static Map<Integer, DraftTree> load() {
            JsonNode root;
            try (InputStream in = DraftTree.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("resource io/github/sdsat/decode/" + RESOURCE
                            + " is missing from the classpath; the sdsat-runtime jar is incomplete");
                }
                root = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read draft-tree resource " + RESOURCE, e);
            }
            JsonNode trees = root.get("trees");
            if (trees == null || !trees.isObject()) {
                throw new IllegalStateException(RESOURCE + " has no \"trees\" object");
            }
            Map<Integer, DraftTree> byDepth = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = trees.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                if (!key.startsWith(KEY_PREFIX)) {
                    throw new IllegalStateException(
                            RESOURCE + ": tree key '" + key + "' is not of the form " + KEY_PREFIX + "K");
                }
                int k = Integer.parseInt(key.substring(KEY_PREFIX.length()));
                List<int[]> paths = new ArrayList<>();
                for (JsonNode p : e.getValue()) {
                    int[] path = new int[p.size()];
                    for (int i = 0; i < path.length; i++) {
                        path[i] = p.get(i).intValue();
                    }
                    paths.add(path);
                }
                DraftTree tree;
                try {
                    tree = of(paths);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalStateException(
                            RESOURCE + ": tree '" + key + "' is malformed: " + ex.getMessage(), ex);
                }
                if (tree.depth() != k) {
                    throw new IllegalStateException(
                            RESOURCE + ": tree '" + key + "' has depth " + tree.depth() + ", expected " + k);
                }
                byDepth.put(k, tree);
            }
            return Collections.unmodifiableMap(byDepth);
        }
    }
}
