package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sanity checks of the test-only reference forward pass against hand-worked values and against itself. */
class ReferenceLlamaTest {

    private static final double TOL = 1e-12;

    // A small but non-trivial shape: GQA (4 query heads on 2 kv heads), several layers.
    private static final int HIDDEN = 16, INTER = 24, LAYERS = 2, HEADS = 4, KV = 2, HEAD_DIM = 4, VOCAB = 11;

    private static ReferenceLlama randomModel(long seed) {
        return new ReferenceLlama(
                HIDDEN,
                INTER,
                LAYERS,
                HEADS,
                KV,
                HEAD_DIM,
                VOCAB,
                1e-5,
                10000.0,
                false,
                ReferenceLlama.randomWeights(HIDDEN, INTER, LAYERS, HEADS, KV, HEAD_DIM, VOCAB, false, seed));
    }

    /**
     * One layer, hidden 4, one head of dim 4, vocab 2, intermediate 1, identity attention projections, worked out
     * by hand. Token 0 embeds as [0,2,0,0], token 1 as [1,1,1,1]; both have mean square 1, so the input norm
     * scales them by s = 1/sqrt(1 + eps). With theta = 100 the two rotary frequencies are 1 and 100^(-2/4) = 0.1,
     * so at position 1 (rotate-half, pairs (0,2) and (1,3)):
     * q1 = k1 = s*[cos1 - sin1, cos.1 - sin.1, cos1 + sin1, cos.1 + sin.1], k0 = s*[0,2,0,0] (position 0).
     * score(1,0) = q1.k0/sqrt(4) = s^2 (cos.1 - sin.1); score(1,1) = |q1|^2/2 = 2 s^2.
     * (The interleaved-pairs form would give s^2 (cos1 + sin1) for score(1,0), so this case tells them apart.)
     */
    @Test
    void matchesHandWorkedOneLayerModel() {
        double eps = 0.1;
        Map<String, float[]> w = new HashMap<>();
        w.put("model.embed_tokens.weight", new float[] {0, 2, 0, 0, /* token 1 */ 1, 1, 1, 1});
        float[] identity = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
        w.put("model.layers.0.self_attn.q_proj.weight", identity);
        w.put("model.layers.0.self_attn.k_proj.weight", identity);
        w.put("model.layers.0.self_attn.v_proj.weight", identity);
        w.put("model.layers.0.self_attn.o_proj.weight", identity);
        w.put("model.layers.0.mlp.gate_proj.weight", new float[] {1, 1, 0, 0});
        w.put("model.layers.0.mlp.up_proj.weight", new float[] {0, 0.5f, 0, 1});
        w.put("model.layers.0.mlp.down_proj.weight", new float[] {2, 0, -1, 0});
        w.put("model.layers.0.input_layernorm.weight", new float[] {1, 1, 1, 1});
        w.put("model.layers.0.post_attention_layernorm.weight", new float[] {1, 1, 1, 1});
        w.put("model.norm.weight", new float[] {1, 2, 3, 4});
        w.put("lm_head.weight", new float[] {1, 0, 0, 0, /* row 1 */ 0, 1, -1, 0.5f});
        ReferenceLlama model = new ReferenceLlama(4, 1, 1, 1, 1, 4, 2, eps, 100.0, false, w);

        double s = 1 / Math.sqrt(1 + eps);
        // Row 0 sees only itself: attention output = v0 = s*[0,2,0,0].
        double[] x0 = {0, 2 + 2 * s, 0, 0};
        // Row 1 attends to both.
        double score10 = s * s * (Math.cos(0.1) - Math.sin(0.1));
        double score11 = 2 * s * s;
        double p0 = Math.exp(score10) / (Math.exp(score10) + Math.exp(score11));
        double p1 = 1 - p0;
        double[] x1 = {1 + p1 * s, 1 + p0 * 2 * s + p1 * s, 1 + p1 * s, 1 + p1 * s};

        double[][] expected = {handMlpAndHead(x0, eps), handMlpAndHead(x1, eps)};
        double[][] actual = model.logits(new int[] {0, 1});
        for (int i = 0; i < 2; i++) {
            for (int c = 0; c < 2; c++) {
                assertThat(actual[i][c]).as("logit[%d][%d]", i, c).isCloseTo(expected[i][c], within(TOL));
            }
        }
    }

    /** MLP (gate [1,1,0,0], up [0,.5,0,1], down [2,0,-1,0]^T), final norm weights [1,2,3,4], lm_head rows. */
    private static double[] handMlpAndHead(double[] x, double eps) {
        double[] h = unitRms(x, eps);
        double g = h[0] + h[1];
        double u = 0.5 * h[1] + h[3];
        double m = g / (1 + Math.exp(-g)) * u;
        double[] y = {x[0] + 2 * m, x[1], x[2] - m, x[3]};
        double[] f = unitRms(y, eps);
        double f0 = f[0], f1 = 2 * f[1], f2 = 3 * f[2], f3 = 4 * f[3];
        return new double[] {f0, f1 - f2 + 0.5 * f3};
    }

    private static double[] unitRms(double[] x, double eps) {
        double ms = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2] + x[3] * x[3]) / 4;
        double inv = 1 / Math.sqrt(ms + eps);
        return new double[] {x[0] * inv, x[1] * inv, x[2] * inv, x[3] * inv};
    }

    @Test
    void prefixLogitsEqualFirstRowsOfFullSequence() {
        ReferenceLlama model = randomModel(1);
        int[] full = {3, 7, 1, 0, 10, 4, 4, 9};
        double[][] all = model.logits(full);
        for (int len = 1; len < full.length; len++) {
            int[] prefix = java.util.Arrays.copyOf(full, len);
            double[][] part = model.logits(prefix);
            for (int i = 0; i < len; i++) {
                for (int c = 0; c < VOCAB; c++) {
                    assertThat(part[i][c]).isCloseTo(all[i][c], within(TOL));
                }
            }
        }
    }

    @Test
    void laterTokensChangeLaterRowsSoTheTestAboveIsNotVacuous() {
        ReferenceLlama model = randomModel(1);
        double[][] a = model.logits(new int[] {3, 7, 1});
        double[][] b = model.logits(new int[] {3, 8, 1});
        assertThat(a[0]).containsExactly(b[0], within(TOL));
        assertThat(maxAbsDiff(a[2], b[2])).isGreaterThan(1e-4);
    }

    @Test
    void logitsAreNotDegenerate() {
        double[][] l = randomModel(2).logits(new int[] {1, 2, 3, 4, 5});
        for (double[] row : l) {
            double mean = 0;
            for (double d : row) {
                mean += d;
            }
            mean /= row.length;
            double var = 0;
            for (double d : row) {
                var += (d - mean) * (d - mean);
            }
            assertThat(Math.sqrt(var / row.length)).isGreaterThan(0.05);
        }
        assertThat(maxAbsDiff(l[0], l[4])).isGreaterThan(0.05);
    }

    /** RoPE makes attention depend on relative positions only: shifting every position leaves logits unchanged. */
    @Test
    void shiftingAllPositionsLeavesLogitsUnchanged() {
        ReferenceLlama model = randomModel(3);
        int[] tokens = {5, 2, 9, 9, 0};
        double[][] base = model.logits(tokens);
        long[] shifted = {37, 38, 39, 40, 41};
        double[][] moved = model.logits(tokens, shifted, causal(tokens.length));
        for (int i = 0; i < tokens.length; i++) {
            assertThat(moved[i]).containsExactly(base[i], within(1e-9));
        }
        // ...but changing relative positions does change them.
        double[][] gapped = model.logits(tokens, new long[] {0, 1, 2, 3, 9}, causal(tokens.length));
        assertThat(maxAbsDiff(gapped[4], base[4])).isGreaterThan(1e-4);
    }

    /** A masked-out token has no influence: a tree-style mask equals running the visible tokens alone. */
    @Test
    void maskedTokensAreInvisible() {
        ReferenceLlama model = randomModel(4);
        // Context [5, 2], then two siblings 9 and 7 both at position 2; 7 must not see 9.
        int[] tokens = {5, 2, 9, 7};
        long[] positions = {0, 1, 2, 2};
        boolean[][] visible = causal(4);
        visible[3][2] = false;
        double[][] tree = model.logits(tokens, positions, visible);
        double[][] alone = model.logits(new int[] {5, 2, 7});
        assertThat(tree[3]).containsExactly(alone[2], within(1e-9));
        assertThat(tree[2]).containsExactly(model.logits(new int[] {5, 2, 9})[2], within(1e-9));
    }

    /** Grouped-query attention equals full multi-head attention with each kv head duplicated for its group. */
    @Test
    void groupedQueryAttentionEqualsDuplicatedKvHeads() {
        int heads = 4, kv = 2, group = heads / kv;
        Map<String, float[]> gqa =
                ReferenceLlama.randomWeights(HIDDEN, INTER, LAYERS, heads, kv, HEAD_DIM, VOCAB, true, 5);
        Map<String, float[]> mha = new HashMap<>(gqa);
        for (int l = 0; l < LAYERS; l++) {
            for (String proj : new String[] {"k_proj", "v_proj"}) {
                String name = "model.layers." + l + ".self_attn." + proj + ".weight";
                float[] small = gqa.get(name);
                float[] big = new float[heads * HEAD_DIM * HIDDEN];
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(
                            small, (h / group) * HEAD_DIM * HIDDEN, big, h * HEAD_DIM * HIDDEN, HEAD_DIM * HIDDEN);
                }
                mha.put(name, big);
            }
        }
        int[] tokens = {1, 4, 6, 2};
        double[][] a = new ReferenceLlama(HIDDEN, INTER, LAYERS, heads, kv, HEAD_DIM, VOCAB, 1e-6, 500, true, gqa)
                .logits(tokens);
        double[][] b = new ReferenceLlama(HIDDEN, INTER, LAYERS, heads, heads, HEAD_DIM, VOCAB, 1e-6, 500, true, mha)
                .logits(tokens);
        for (int i = 0; i < tokens.length; i++) {
            assertThat(a[i]).containsExactly(b[i], within(TOL));
        }
    }

    @Test
    void tiedEmbeddingsEqualAnExplicitCopyAsLmHead() {
        Map<String, float[]> tied = ReferenceLlama.randomWeights(HIDDEN, INTER, 1, HEADS, KV, HEAD_DIM, VOCAB, true, 6);
        assertThat(tied).doesNotContainKey("lm_head.weight");
        Map<String, float[]> untied = new HashMap<>(tied);
        untied.put("lm_head.weight", tied.get("model.embed_tokens.weight").clone());
        int[] tokens = {0, 10, 3};
        double[][] a =
                new ReferenceLlama(HIDDEN, INTER, 1, HEADS, KV, HEAD_DIM, VOCAB, 1e-5, 1e4, true, tied).logits(tokens);
        double[][] b = new ReferenceLlama(HIDDEN, INTER, 1, HEADS, KV, HEAD_DIM, VOCAB, 1e-5, 1e4, false, untied)
                .logits(tokens);
        for (int i = 0; i < tokens.length; i++) {
            assertThat(a[i]).containsExactly(b[i], within(0.0));
        }
    }

    @Test
    void randomWeightsAreDeterministicPerSeed() {
        Map<String, float[]> a = ReferenceLlama.randomWeights(8, 8, 1, 2, 1, 4, 5, false, 42);
        Map<String, float[]> b = ReferenceLlama.randomWeights(8, 8, 1, 2, 1, 4, 5, false, 42);
        Map<String, float[]> c = ReferenceLlama.randomWeights(8, 8, 1, 2, 1, 4, 5, false, 43);
        assertThat(a.keySet()).isEqualTo(b.keySet());
        a.forEach((name, arr) -> assertThat(b.get(name)).as(name).containsExactly(arr));
        assertThat(c.get("model.embed_tokens.weight")).isNotEqualTo(a.get("model.embed_tokens.weight"));
    }

    @Test
    void badWeightsAreRefusedWithTheirName() {
        Map<String, float[]> w = ReferenceLlama.randomWeights(8, 8, 1, 2, 1, 4, 5, false, 7);
        w.remove("model.layers.0.mlp.up_proj.weight");
        assertThatThrownBy(() -> new ReferenceLlama(8, 8, 1, 2, 1, 4, 5, 1e-5, 1e4, false, w))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.layers.0.mlp.up_proj.weight");
        Map<String, float[]> w2 = ReferenceLlama.randomWeights(8, 8, 1, 2, 1, 4, 5, false, 7);
        w2.put("model.norm.weight", new float[7]);
        assertThatThrownBy(() -> new ReferenceLlama(8, 8, 1, 2, 1, 4, 5, 1e-5, 1e4, false, w2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.norm.weight")
                .hasMessageContaining("expected 8");
        ReferenceLlama ok = new ReferenceLlama(
                8, 8, 1, 2, 1, 4, 5, 1e-5, 1e4, false, ReferenceLlama.randomWeights(8, 8, 1, 2, 1, 4, 5, false, 7));
        assertThatThrownBy(() -> ok.logits(new int[] {5}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the vocabulary");
    }

    private static boolean[][] causal(int n) {
        boolean[][] v = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                v[i][j] = true;
            }
        }
        return v;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
