package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DraftTreeTest {

    /*
     * Hand-worked numbering of tree_depth_5 (node 0 = root, then the file's 28 paths sorted by length, then rank):
     *  1 [0]  2 [1]  3 [2]  4 [3]
     *  5 [0,0]  6 [0,1]  7 [0,2]  8 [1,0]  9 [1,1]  10 [2,0]  11 [2,1]  12 [3,0]
     * 13 [0,0,0]  14 [0,0,1]  15 [0,0,2]  16 [0,1,0]  17 [0,1,1]  18 [0,2,0]  19 [0,2,1]  20 [1,0,0]
     * 21 [0,0,0,0]  22 [0,0,0,1]  23 [0,0,0,2]  24 [0,0,1,0]  25 [0,0,1,1]
     * 26 [0,0,0,0,0]  27 [0,0,0,0,1]  28 [0,0,0,0,2]
     */
    private static final int[] PARENTS_5 = {
        -1, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 5, 6, 6, 7, 7, 8, 13, 13, 13, 14, 14, 21, 21, 21
    };
    private static final int[] DEPTHS_5 = {
        0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5
    };
    private static final int[] RANKS_5 = {
        0, 0, 1, 2, 3, 0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 2, 0, 1, 0, 1, 2
    };

    @Test
    void depthFiveTreeMatchesHandWorkedStructure() {
        DraftTree t = DraftTree.forDepth(5);
        assertThat(t.size()).isEqualTo(29);
        assertThat(t.depth()).isEqualTo(5);
        for (int i = 0; i < 29; i++) {
            assertThat(t.parentOf(i)).as("parent of %d", i).isEqualTo(PARENTS_5[i]);
            assertThat(t.depthOf(i)).as("depth of %d", i).isEqualTo(DEPTHS_5[i]);
            assertThat(t.rankOf(i)).as("rank of %d", i).isEqualTo(RANKS_5[i]);
        }
        assertThat(t.rankPath(19)).containsExactly(0, 2, 1);
        assertThat(t.children(0)).containsExactly(1, 2, 3, 4);
        assertThat(t.children(1)).containsExactly(5, 6, 7);
        assertThat(t.children(8)).containsExactly(20);
        assertThat(t.children(21)).containsExactly(26, 27, 28);
        assertThat(t.children(9)).isEmpty();
        assertThat(t.pathTo(27)).containsExactly(0, 1, 5, 13, 21, 27);

        assertThat(t.maxRankAtDepth(0)).isEqualTo(0);
        assertThat(t.maxRankAtDepth(1)).isEqualTo(3);
        for (int d = 2; d <= 5; d++) {
            assertThat(t.maxRankAtDepth(d)).isEqualTo(2);
            assertThat(t.candidatesNeededAtDepth(d)).isEqualTo(3);
        }
        assertThat(t.candidatesNeededAtDepth(1)).isEqualTo(4);

        assertThat(t.positions(100))
                .containsExactly(
                        100, 101, 101, 101, 101, 102, 102, 102, 102, 102, 102, 102, 102, 103, 103, 103, 103, 103, 103,
                        103, 103, 104, 104, 104, 104, 104, 105, 105, 105);
    }

    @Test
    void depthFiveMaskRowsMatchHandWorkedRows() {
        DraftTree t = DraftTree.forDepth(5);
        int cached = 3;
        float[] mask = t.attentionMask(cached);
        int width = cached + 29;
        assertThat(mask).hasSize(29 * width);
        // Allowed columns: context 0..2, then tree node j at column 3 + j.
        assertThat(allowed(mask, 0, width)).containsExactly(0, 1, 2, 3);
        assertThat(allowed(mask, 4, width)).containsExactly(0, 1, 2, 3, 7);
        assertThat(allowed(mask, 12, width)).containsExactly(0, 1, 2, 3, 7, 15);
        assertThat(allowed(mask, 19, width)).containsExactly(0, 1, 2, 3, 4, 10, 22);
        assertThat(allowed(mask, 20, width)).containsExactly(0, 1, 2, 3, 5, 11, 23);
        assertThat(allowed(mask, 26, width)).containsExactly(0, 1, 2, 3, 4, 8, 16, 24, 29);
        // Everything else is exactly -inf.
        for (float v : mask) {
            assertThat(v == 0f || v == Float.NEGATIVE_INFINITY).isTrue();
        }
        // With no cache the row is just the tree part.
        float[] bare = t.attentionMask(0);
        assertThat(allowed(bare, 25, 29)).containsExactly(0, 1, 5, 14, 25);
    }

    @Test
    void depthFiveLeafPathsMatchHandWorkedList() {
        int p = DraftTree.PAD;
        assertThat(DraftTree.forDepth(5).leafPaths()).isDeepEqualTo(new int[][] {
            new int[] {0, 2, 9, p, p, p},
            new int[] {0, 3, 10, p, p, p},
            new int[] {0, 3, 11, p, p, p},
            new int[] {0, 4, 12, p, p, p},
            new int[] {0, 1, 5, 15, p, p},
            new int[] {0, 1, 6, 16, p, p},
            new int[] {0, 1, 6, 17, p, p},
            new int[] {0, 1, 7, 18, p, p},
            new int[] {0, 1, 7, 19, p, p},
            new int[] {0, 2, 8, 20, p, p},
            new int[] {0, 1, 5, 13, 22, p},
            new int[] {0, 1, 5, 13, 23, p},
            new int[] {0, 1, 5, 14, 24, p},
            new int[] {0, 1, 5, 14, 25, p},
            new int[] {0, 1, 5, 13, 21, 26},
            new int[] {0, 1, 5, 13, 21, 27},
            new int[] {0, 1, 5, 13, 21, 28}
        });
    }

    @Test
    void depthFiveTokensComeFromDepthAndRank() {
        DraftTree t = DraftTree.forDepth(5);
        long[][] cands = {
            {10, 11, 12, 13},
            {20, 21, 22},
            {30, 31, 32, 39}, // extra candidates beyond what the tree needs are ignored
            {40, 41, 42},
            {50, 51, 52}
        };
        long[] tokens = t.tokens(7, cands);
        assertThat(tokens)
                .containsExactly(
                        7, 10, 11, 12, 13, 20, 21, 22, 20, 21, 20, 21, 20, 30, 31, 32, 30, 31, 30, 31, 30, 40, 41, 42,
                        40, 41, 50, 51, 52);
    }

    @Test
    void tokensRefuseTooFewCandidatesOrWrongRowCount() {
        DraftTree t = DraftTree.forDepth(5);
        long[][] four = {{1, 2, 3, 4}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}};
        assertThatThrownBy(() -> t.tokens(0, four))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 rows")
                .hasMessageContaining("depth 5");
        long[][] shortRow = {{1, 2, 3, 4}, {1, 2, 3}, {1, 2}, {1, 2, 3}, {1, 2, 3}};
        assertThatThrownBy(() -> t.tokens(0, shortRow))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("candidatesByDepth[2]")
                .hasMessageContaining("needs 3");
    }

    @Test
    void bundledTreesHaveExpectedDepthsAndSizes() {
        assertThat(DraftTree.supportedDepths()).containsExactly(5, 7, 9, 11, 13);
        // Sizes = number of paths in sdsat-trees.json + 1 for the root.
        assertThat(DraftTree.forDepth(5).size()).isEqualTo(29);
        assertThat(DraftTree.forDepth(7).size()).isEqualTo(37);
        assertThat(DraftTree.forDepth(9).size()).isEqualTo(47);
        assertThat(DraftTree.forDepth(11).size()).isEqualTo(61);
        assertThat(DraftTree.forDepth(13).size()).isEqualTo(77);
        assertThat(DraftTree.forDepth(9)).isSameAs(DraftTree.forDepth(9));
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 7, 9, 11, 13})
    void everyTreeIsConsistent(int k) {
        DraftTree t = DraftTree.forDepth(k);
        int n = t.size();
        assertThat(t.depth()).isEqualTo(k);
        Set<List<Integer>> paths = new HashSet<>();
        for (int i = 0; i < n; i++) {
            assertThat(paths.add(boxed(t.rankPath(i))))
                    .as("unique rank path at node %d", i)
                    .isTrue();
        }
        int deepest = 0;
        for (int i = 1; i < n; i++) {
            int[] path = t.rankPath(i);
            // parent path present, and it is this node's parent
            int[] parentPath = Arrays.copyOf(path, path.length - 1);
            assertThat(paths).as("parent path of node %d", i).contains(boxed(parentPath));
            assertThat(t.rankPath(t.parentOf(i))).containsExactly(parentPath);
            assertThat(t.parentOf(i)).as("parents precede children").isLessThan(i);
            assertThat(t.depthOf(i)).isEqualTo(t.depthOf(t.parentOf(i)) + 1);
            assertThat(t.depthOf(i)).as("nodes ordered by depth").isGreaterThanOrEqualTo(t.depthOf(i - 1));
            assertThat(t.children(t.parentOf(i))).contains(i);
            assertThat(t.rankOf(i)).isLessThanOrEqualTo(t.maxRankAtDepth(t.depthOf(i)));
            deepest = Math.max(deepest, t.depthOf(i));
        }
        assertThat(deepest).isEqualTo(k);
        for (int i = 0; i < n; i++) {
            int[] kids = t.children(i);
            for (int c = 1; c < kids.length; c++) {
                assertThat(t.rankOf(kids[c])).isGreaterThan(t.rankOf(kids[c - 1]));
            }
        }

        int cached = 5;
        int width = cached + n;
        float[] mask = t.attentionMask(cached);
        long[] pos = t.positions(cached);
        for (int i = 0; i < n; i++) {
            List<Integer> row = allowed(mask, i, width);
            List<Integer> treeCols = new ArrayList<>();
            for (int col : row) {
                if (col >= cached) {
                    treeCols.add(col - cached);
                }
            }
            assertThat(row.subList(0, cached))
                    .as("row %d sees all cached columns", i)
                    .containsExactly(0, 1, 2, 3, 4);
            assertThat(treeCols)
                    .as("row %d sees depth+1 tree nodes: root..itself", i)
                    .hasSize(t.depthOf(i) + 1)
                    .containsExactlyElementsOf(boxed(t.pathTo(i)));
            assertThat(pos[i]).isEqualTo(cached + t.depthOf(i));
        }

        int[][] leaves = t.leafPaths();
        int leafCount = 0;
        for (int i = 0; i < n; i++) {
            if (t.isLeaf(i)) {
                leafCount++;
            }
        }
        assertThat(leaves).hasNumberOfRows(leafCount);
        for (int[] leafPath : leaves) {
            assertThat(leafPath).hasSize(k + 1);
            assertThat(leafPath[0]).isZero();
            int real = 0;
            while (real < leafPath.length && leafPath[real] != DraftTree.PAD) {
                real++;
            }
            for (int j = real; j < leafPath.length; j++) {
                assertThat(leafPath[j]).as("padding after the leaf").isEqualTo(DraftTree.PAD);
            }
            int leaf = leafPath[real - 1];
            assertThat(t.isLeaf(leaf)).isTrue();
            assertThat(Arrays.copyOf(leafPath, real)).containsExactly(t.pathTo(leaf));
        }
    }

    @Test
    void paddingNeverAliasesARealNode() {
        for (int k : DraftTree.supportedDepths()) {
            DraftTree t = DraftTree.forDepth(k);
            assertThat(DraftTree.PAD < 0 || DraftTree.PAD >= t.size())
                    .as("PAD outside [0, size)")
                    .isTrue();
            assertThatThrownBy(() -> t.depthOf(DraftTree.PAD)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void invalidDepthIsRefusedWithTheValidList() {
        for (int k : new int[] {0, 4, 6, 14, -1}) {
            assertThatThrownBy(() -> DraftTree.forDepth(k))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("depth " + k)
                    .hasMessageContaining("[5, 7, 9, 11, 13]");
        }
    }

    @Test
    void customTreesAreValidated() {
        assertThatThrownBy(() -> DraftTree.of(List.of(new int[] {0}, new int[] {1, 0})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 0]")
                .hasMessageContaining("no parent");
        assertThatThrownBy(() -> DraftTree.of(List.of(new int[] {0}, new int[] {0})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> DraftTree.of(List.of(new int[] {-1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
        // Order of input paths does not matter: nodes are renumbered by (depth, ranks).
        DraftTree t = DraftTree.of(List.of(new int[] {1, 0}, new int[] {1}, new int[] {0}));
        assertThat(t.rankPath(1)).containsExactly(0);
        assertThat(t.rankPath(2)).containsExactly(1);
        assertThat(t.rankPath(3)).containsExactly(1, 0);
        assertThat(t.parentOf(3)).isEqualTo(2);
        assertThat(t.maxRankAtDepth(2)).isZero();
    }

    @Test
    void badArgumentsAreRefused() {
        DraftTree t = DraftTree.forDepth(7);
        assertThatThrownBy(() -> t.attentionMask(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.positions(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.maxRankAtDepth(8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("depth 8");
        assertThatThrownBy(() -> t.parentOf(t.size())).isInstanceOf(IndexOutOfBoundsException.class);
    }

    private static List<Integer> allowed(float[] mask, int row, int width) {
        List<Integer> cols = new ArrayList<>();
        for (int c = 0; c < width; c++) {
            if (mask[row * width + c] == 0f) {
                cols.add(c);
            }
        }
        return cols;
    }

    private static List<Integer> boxed(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }
}
