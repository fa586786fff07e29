package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.model.InMemoryWeights;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.ReferenceLlama;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java CPU pass gives a position bit-identical logits whatever the shape of the pass it is computed in
 * (docs/DESIGN.md, "shape-invariant pass"): the greedy decoders are lossless by construction, not up to an ulp that a
 * near-tie could turn into a different token. Compared bit for bit ({@link Float#floatToRawIntBits}, no tolerance)
 * with token-by-token cached steps: a prefill of every token in one pass, passes of widths 1..16 after a cached
 * prefix, tree-masked passes ({@link DraftTree#attentionMask}) and single-pass passes ({@link
 * SdsatSinglePassDecoder#mask}) against unmasked passes of the same keys, on one and two threads ({@code
 * CpuWorkers} splits tiles and heads) and with the row-block plan of a model streamed from memory (blocks of 2-3
 * rows instead of 4-6). Head sizes 16, 32 (the four-register scores path with AVX2), 64 (with AVX-512), 128 and 36
 * (a multiple of neither vector length), hidden sizes that are not a multiple of the vector length.
 */
class PassShapeInvarianceTest {
    private static final int LAYERS = 2;
    private static final int VOCAB = 131;
    private static final long SAT = VOCAB - 1;
    private static final int TOKENS = 32;
    /** Cached tokens before the passes of widths 1..16 and the masked passes. */
    private static final int PREFIX = 11;

    /** hidden, heads, kv heads, head_dim, intermediate. */
    private static final int[][] SHAPES = {
        {100, 4, 2, 16, 77}, // head_dim 16, hidden a multiple of neither vector length, GQA
        {52, 4, 2, 32, 70}, // head_dim 32: the four-register scores path with AVX2
        {100, 3, 1, 64, 90}, // head_dim 64 (the embedded model's; four registers with AVX-512), multi-query
        {60, 2, 2, 128, 50}, // head_dim 128 (Llama), explicit head_dim != hidden / heads
        {72, 3, 3, 36, 44} // head_dim 36: scores and weighted sums with a vector tail
    };
    /** 0: one thread; 1: two threads; 2: one thread with the row blocks of a model streamed from memory. */
    private static final String[] VARIANTS = {"1 thread", "2 threads", "1 thread, streamed row blocks"};

    /** Per shape: the weights, the reference model (one thread), its token-by-token logits and the variants. */
    private static final Map<Integer, Fixture> FIXTURES = new HashMap<>();

    private static final class Fixture {
        final LlamaConfig config;
        final Map<String, float[]> weights;
        final long[] tokens;
        final LlamaModel reference;
        final float[][] steps;
        final LlamaModel[] variants = new LlamaModel[VARIANTS.length];

        Fixture(int[] shape) {
            int hidden = shape[0];
            int headDim = shape[3];
            config = new LlamaConfig(
                    hidden,
                    shape[4],
                    LAYERS,
                    shape[1],
                    shape[2],
                    headDim,
                    VOCAB,
                    1e-5,
                    10000.0,
                    256,
                    false,
                    0,
                    List.of(1),
                    "float32");
            weights = ReferenceLlama.randomWeights(
                    hidden, shape[4], LAYERS, shape[1], shape[2], headDim, VOCAB, false, 31L + headDim);
            tokens = new Random(hidden * 7L + headDim)
                    .longs(TOKENS, 0, VOCAB - 1)
                    .toArray();
            reference = model(config, weights, 1, false);
            steps = tokenByToken(reference, tokens);
        }

        LlamaModel variant(int v) {
            if (variants[v] == null) {
                variants[v] = model(config, weights, v == 1 ? 2 : 1, v == 2);
                assertThat(variants[v].backend())
                        .contains(v == 1 ? "2 threads" : "1 thread")
                        .satisfies(b ->
                                assertThat(b.contains("streamed from memory")).isEqualTo(v == 2));
            }
            return variants[v];
        }
    }

    static Stream<Arguments> shapesAndVariants() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (int s = 0; s < SHAPES.length; s++) {
            for (int v = 0; v < VARIANTS.length; v++) {
                int[] shape = SHAPES[s];
                cases.add(Arguments.of(
                        s, v, "hidden " + shape[0] + ", " + shape[1] + " heads x " + shape[3] + ", " + VARIANTS[v]));
            }
        }
        return cases.build();
    }

    private static synchronized Fixture fixture(int shape) {
        return FIXTURES.computeIfAbsent(shape, s -> new Fixture(SHAPES[s]));
    }

    @AfterAll
    static void closeModels() {
        for (Fixture f : FIXTURES.values()) {
            f.reference.close();
            for (LlamaModel m : f.variants) {
                if (m != null) {
                    m.close();
                }
            }
        }
        FIXTURES.clear();
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("shapesAndVariants")
    void prefillInOnePassGivesTheTokenByTokenLogits(int shape, int variant, String name) {
        Fixture f = fixture(shape);
        LlamaModel model = f.variant(variant);
        try (KvCache cache = model.newCache(TOKENS)) {
            float[] all =
                    model.logits(cache, f.tokens, LongStream.range(0, TOKENS).toArray(), null, 0);
            assertRows(all, f.steps, 0, TOKENS, "prefill of " + TOKENS + " in one pass, " + name);
        }
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("shapesAndVariants")
    void passesOfWidths1To16AfterACachedPrefixGiveTheTokenByTokenLogits(int shape, int variant, String name) {
        Fixture f = fixture(shape);
        passesOfEveryWidth(f.variant(variant), f.tokens, f.steps, name);
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("shapesAndVariants")
    void treeMaskedRowsGiveTheLogitsOfUnmaskedPassesOverTheSameKeys(int shape, int variant, String name) {
        Fixture f = fixture(shape);
        treePass(f.variant(variant), f.reference, f.tokens, f.steps, name);
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("shapesAndVariants")
    void singlePassMaskedRowsGiveTheLogitsOfUnmaskedPassesOverTheSameKeys(int shape, int variant, String name) {
        Fixture f = fixture(shape);
        singlePass(f.variant(variant), f.reference, f.tokens, f.steps, name);
    }

    /** A mask row that blocks every key is refused (it would divide by a zero softmax sum). */
    @Test
    void aMaskRowThatSeesNoKeyIsRefused() {
        LlamaConfig config =
                new LlamaConfig(32, 40, 1, 2, 2, 16, VOCAB, 1e-5, 10000.0, 64, false, 0, List.of(1), "float32");
        Map<String, float[]> w = ReferenceLlama.randomWeights(32, 40, 1, 2, 2, 16, VOCAB, false, 5L);
        try (LlamaModel model = model(config, w, 1, false);
                KvCache cache = model.newCache(8)) {
            float[] mask = {0f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
            assertThatThrownBy(() -> model.logits(cache, new long[] {1, 2}, new long[] {0, 1}, mask, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("row 1")
                    .hasMessageContaining("blocks all 2 slots");
        }
    }

    /** Logits of every position from one-token cached steps, the shape autoregressive decoding uses. */
    private static float[][] tokenByToken(LlamaModel model, long[] tokens) {
        float[][] rows = new float[tokens.length][];
        try (KvCache cache = model.newCache(tokens.length)) {
            for (int p = 0; p < tokens.length; p++) {
                rows[p] = model.logits(cache, new long[] {tokens[p]}, new long[] {p}, null, 0);
            }
        }
        return rows;
    }

    /** After a cached prefix, a pass of each width 1..16 gives each of its rows the step's logits. */
    private static void passesOfEveryWidth(LlamaModel model, long[] tokens, float[][] steps, String shape) {
        try (KvCache cache = model.newCache(TOKENS)) {
            model.logits(
                    cache,
                    Arrays.copyOf(tokens, PREFIX),
                    LongStream.range(0, PREFIX).toArray(),
                    null,
                    0);
            for (int width = 1; width <= 16; width++) {
                long[] part = Arrays.copyOfRange(tokens, PREFIX, PREFIX + width);
                float[] got = model.logits(
                        cache, part, LongStream.range(PREFIX, PREFIX + width).toArray(), null, 0);
                assertRows(got, steps, PREFIX, width, "pass of " + width + " after " + PREFIX + " cached, " + shape);
                cache.truncate(PREFIX);
            }
        }
    }

    /**
     * A tree pass as sdsat-tree builds it (the bundled depth-5 tree, its mask and positions): each node's logits
     * equal those of an unmasked pass of its root-to-node path after the same cached prefix. The rank-0 chain holds
     * the true continuation, so its nodes equal the token-by-token steps as well.
     */
    private static void treePass(LlamaModel model, LlamaModel reference, long[] tokens, float[][] steps, String shape) {
        DraftTree tree = DraftTree.forDepth(5);
        Random random = new Random(77);
        long[][] candidates = new long[tree.depth()][];
        for (int d = 1; d <= tree.depth(); d++) {
            candidates[d - 1] =
                    random.longs(tree.candidatesNeededAtDepth(d), 0, VOCAB - 1).toArray();
            candidates[d - 1][0] = tokens[PREFIX + d];
        }
        long[] nodeTokens = tree.tokens(tokens[PREFIX], candidates);
        float[] got;
        try (KvCache cache = prefixCache(model, tokens, PREFIX + tree.size())) {
            got = model.logits(cache, nodeTokens, tree.positions(PREFIX), tree.attentionMask(PREFIX), 0);
        }
        for (int node = 0; node < tree.size(); node++) {
            int[] path = tree.pathTo(node);
            long[] pathTokens =
                    Arrays.stream(path).mapToLong(i -> nodeTokens[i]).toArray();
            float[] expected;
            try (KvCache cache = prefixCache(reference, tokens, PREFIX + path.length)) {
                float[] rows = reference.logits(
                        cache,
                        pathTokens,
                        LongStream.range(PREFIX, PREFIX + path.length).toArray(),
                        null,
                        0);
                expected = Arrays.copyOfRange(rows, (path.length - 1) * VOCAB, path.length * VOCAB);
            }
            assertRow(
                    got,
                    node,
                    expected,
                    "tree node " + node + " of " + tree.size() + " (path " + Arrays.toString(path) + "), " + shape);
            if (Arrays.stream(tree.rankPath(node)).allMatch(r -> r == 0)) {
                assertRow(got, node, steps[PREFIX + path.length - 1], "tree rank-0 node " + node + ", " + shape);
            }
        }
    }

    /**
     * A pass as sdsat-single-pass builds it (k = 4: [t, d1..d4] and a block of 4 SATs after each acceptance point,
     * its mask; 25 rows after 11 cached, so the mask's 36 slots span more than two 16-lane vectors): the verify rows equal the token-by-token steps, and SAT i of block a equals row a + i of an unmasked
     * pass [t, d1..da, SAT x 4] after the same cached prefix.
     */
    private static void singlePass(
            LlamaModel model, LlamaModel reference, long[] tokens, float[][] steps, String shape) {
        int k = 4;
        int width = (k + 1) * (k + 1);
        long[] passTokens = new long[width];
        long[] positions = new long[width];
        List<int[]> satRows = new ArrayList<>(); // {row, a, i}
        for (int i = 0; i <= k; i++) {
            passTokens[i] = tokens[PREFIX + i];
            positions[i] = PREFIX + i;
        }
        for (int a = 0; a <= k; a++) {
            for (int i = 1; i <= k; i++) {
                int row = (k + 1) + a * k + (i - 1); // the decoder's blockRow
                passTokens[row] = SAT;
                positions[row] = PREFIX + a + i;
                satRows.add(new int[] {row, a, i});
            }
        }
        float[] got;
        try (KvCache cache = prefixCache(model, tokens, PREFIX + width)) {
            got = model.logits(cache, passTokens, positions, SdsatSinglePassDecoder.mask(k, PREFIX), 0);
        }
        for (int i = 0; i <= k; i++) {
            assertRow(got, i, steps[PREFIX + i], "single-pass verify row " + i + ", " + shape);
        }
        for (int[] sat : satRows) {
            int a = sat[1];
            long[] chain = new long[a + 1 + k];
            System.arraycopy(tokens, PREFIX, chain, 0, a + 1);
            Arrays.fill(chain, a + 1, chain.length, SAT);
            float[] expected;
            try (KvCache cache = prefixCache(reference, tokens, PREFIX + chain.length)) {
                float[] rows = reference.logits(
                        cache,
                        chain,
                        LongStream.range(PREFIX, PREFIX + chain.length).toArray(),
                        null,
                        0);
                int row = a + sat[2];
                expected = Arrays.copyOfRange(rows, row * VOCAB, (row + 1) * VOCAB);
            }
            assertRow(got, sat[0], expected, "single-pass SAT " + sat[2] + " of block " + a + ", " + shape);
        }
    }

    /** A cache holding the first {@link #PREFIX} tokens, prefilled in one pass. */
    private static KvCache prefixCache(LlamaModel model, long[] tokens, int capacity) {
        KvCache cache = model.newCache(capacity);
        model.logits(
                cache,
                Arrays.copyOf(tokens, PREFIX),
                LongStream.range(0, PREFIX).toArray(),
                null,
                0);
        return cache;
    }

    /** The Java vector pass with {@code threads} threads; {@code streamed}: every matrix counts as DRAM-streamed. */
    private static LlamaModel model(LlamaConfig config, Map<String, float[]> w, int threads, boolean streamed) {
        String[] keys = {"sdsat.cpuThreads", "sdsat.cpuCacheBytes", "sdsat.cpuKernels"};
        String[] previous = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            previous[i] = System.getProperty(keys[i]);
        }
        System.setProperty("sdsat.cpuThreads", Integer.toString(threads));
        System.setProperty("sdsat.cpuCacheBytes", streamed ? "4096" : Long.toString(1L << 40));
        System.setProperty("sdsat.cpuKernels", "java");
        try {
            LlamaModel model = LlamaModel.fromSource(config, new InMemoryWeights(w), Device.cpu(), DataType.FLOAT32);
            assertThat(model.backend()).startsWith("java vector");
            return model;
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (previous[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], previous[i]);
                }
            }
        }
    }

    private static void assertRows(float[] got, float[][] steps, int firstPosition, int rows, String what) {
        for (int r = 0; r < rows; r++) {
            assertRow(
                    got, r, steps[firstPosition + r], what + ": row " + r + " (position " + (firstPosition + r) + ")");
        }
    }

    private static void assertRow(float[] got, int row, float[] expected, String what) {
        for (int v = 0; v < VOCAB; v++) {
            int bits = Float.floatToRawIntBits(got[row * VOCAB + v]);
            if (bits != Float.floatToRawIntBits(expected[v])) {
                throw new AssertionError(what + ": logit " + v + " is " + got[row * VOCAB + v] + " ("
                        + Integer.toHexString(bits) + "), the token-by-token / unmasked pass gives " + expected[v]
                        + " (" + Integer.toHexString(Float.floatToRawIntBits(expected[v])) + ")");
            }
        }
    }
}
