package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java CPU pass against the DJL pass on the same weights: logits within 1e-5 through a prefill, cached steps of
 * 1..9 rows (every row-block kernel and its remainders), an explicit non-causal mask, and a compacted cache; the
 * scalar kernels and the threaded split give the same figures.
 */
class CpuForwardMatchesDjlTest {
    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest(name = "hidden={0} inter={1} layers={2} heads={3} kv={4} vocab={5}")
    @CsvSource({
        "64, 136, 2, 4, 2, 97", // GQA, vocab and intermediate not a multiple of a tile (padding)
        "96, 251, 3, 6, 6, 300", // plain multi-head, odd intermediate
        "32, 75, 1, 2, 1, 64" // multi-query attention
    })
    void javaPassMatchesDjlPass(int hidden, int inter, int layers, int heads, int kv, int vocab) {
        LlamaConfig config = new LlamaConfig(
                hidden,
                inter,
                layers,
                heads,
                kv,
                hidden / heads,
                vocab,
                1e-5,
                10000.0,
                256,
                false,
                0,
                List.of(1),
                "float32");
        Map<String, float[]> w = ReferenceLlama.randomWeights(
                hidden, inter, layers, heads, kv, hidden / heads, vocab, false, 7L + hidden);
        try (LlamaModel djl = load(config, w, "djl", 1);
                LlamaModel vector = load(config, w, "java", 2);
                LlamaModel scalar = load(config, w, "scalar", 1)) {
            assertThat(vector.backend()).startsWith("java");
            assertThat(djl.backend()).startsWith("djl");
            Random random = new Random(hidden);
            long[] tokens = random.longs(40, 0, vocab).toArray();
            try (KvCache a = djl.newCache(64);
                    KvCache b = vector.newCache(64);
                    KvCache c = scalar.newCache(64)) {
                int done = 0;
                int[] steps = {12, 1, 2, 3, 4, 5, 6, 7}; // prefill then every row-block remainder
                for (int n : steps) {
                    long[] part = Arrays.copyOfRange(tokens, done, done + n);
                    long[] pos = LongStream.range(done, done + n).toArray();
                    float[] expected = djl.logits(a, part, pos, null, 0);
                    assertClose(vector.logits(b, part, pos, null, 0), expected, "java, " + n + " rows at " + done);
                    assertClose(scalar.logits(c, part, pos, null, 0), expected, "scalar, " + n + " rows at " + done);
                    done += n;
                }
                // a tree-like pass: non-consecutive positions and a mask that hides some new tokens from others
                int n = 5;
                int total = done + n;
                float[] mask = new float[n * total];
                for (int r = 0; r < n; r++) {
                    for (int col = done; col < total; col++) {
                        boolean visible = col - done <= r && (col - done) % 2 == r % 2 || col - done == 0;
                        mask[r * total + col] = visible ? 0f : Float.NEGATIVE_INFINITY;
                    }
                }
                long[] part = Arrays.copyOfRange(tokens, 0, n);
                long[] pos = {done, done + 1, done + 1, done + 2, done + 2};
                float[] expected = djl.logits(a, part, pos, mask, 0);
                assertClose(vector.logits(b, part, pos, mask, 0), expected, "java, masked tree pass");
                // compaction keeps both caches equal
                a.compact(done, new int[] {done + 2, done + 4});
                b.compact(done, new int[] {done + 2, done + 4});
                for (int layer = 0; layer < layers; layer++) {
                    assertClose(b.committedKeys(layer), a.committedKeys(layer), "keys after compaction");
                    assertClose(b.committedValues(layer), a.committedValues(layer), "values after compaction");
                }
                long[] next = {tokens[30], tokens[31]};
                long[] nextPos = {a.length(), a.length() + 1};
                assertClose(
                        vector.logits(b, next, nextPos, null, 1),
                        djl.logits(a, next, nextPos, null, 1),
                        "java, after compaction, logits from row 1");
                assertThat(vector.argmax(b, new long[] {tokens[32]}, new long[] {b.length()}, null, 0))
                        .containsExactly(djl.argmax(a, new long[] {tokens[32]}, new long[] {a.length()}, null, 0));
            }
        }
    }

    @Test
    void smallRowBlocksForModelsStreamedFromMemoryGiveTheSameLogits() {
        LlamaConfig config = TinyModels.config(128, 2, 4, 2, 500, false, 10000.0);
        Map<String, float[]> w =
                ReferenceLlama.randomWeights(128, config.intermediateSize(), 2, 4, 2, 32, 500, false, 11L);
        String previous = System.getProperty("sdsat.cpuCacheBytes");
        System.setProperty("sdsat.cpuCacheBytes", "4096"); // every matrix counts as streamed from memory
        try (LlamaModel streamed = load(config, w, "java", 1)) {
            if (previous == null) {
                System.clearProperty("sdsat.cpuCacheBytes");
            } else {
                System.setProperty("sdsat.cpuCacheBytes", previous);
            }
            try (LlamaModel djl = load(config, w, "djl", 1);
                    KvCache a = djl.newCache(64);
                    KvCache b = streamed.newCache(64)) {
                assertThat(streamed.backend()).contains("streamed from memory");
                long[] tokens = new Random(8).longs(40, 0, 500).toArray();
                int done = 0;
                for (int n : new int[] {9, 4, 5, 6, 7, 8, 1}) { // every block split of the streamed path
                    long[] part = Arrays.copyOfRange(tokens, done, done + n);
                    long[] pos = LongStream.range(done, done + n).toArray();
                    assertClose(
                            streamed.logits(b, part, pos, null, 0),
                            djl.logits(a, part, pos, null, 0),
                            "streamed, " + n + " rows");
                    done += n;
                }
            }
        } finally {
            if (previous == null) {
                System.clearProperty("sdsat.cpuCacheBytes");
            } else {
                System.setProperty("sdsat.cpuCacheBytes", previous);
            }
        }
    }

    @Test
    void threadsDoNotChangeTheArithmetic() {
        LlamaConfig config = TinyModels.config(128, 2, 4, 2, 500, false, 10000.0);
        Map<String, float[]> w =
                ReferenceLlama.randomWeights(128, config.intermediateSize(), 2, 4, 2, 32, 500, false, 3L);
        try (LlamaModel one = load(config, w, "java", 1);
                LlamaModel two = load(config, w, "java", 2);
                KvCache a = one.newCache(32);
                KvCache b = two.newCache(32)) {
            long[] tokens = new Random(5).longs(9, 0, 500).toArray();
            long[] pos = LongStream.range(0, 9).toArray();
            assertThat(two.logits(b, tokens, pos, null, 0)).containsExactly(one.logits(a, tokens, pos, null, 0));
        }
    }

    @Test
    void aCacheOfTheOtherPassIsRefused() {
        LlamaConfig config = TinyModels.small();
        Map<String, float[]> w =
                ReferenceLlama.randomWeights(64, config.intermediateSize(), 2, 4, 2, 16, 97, false, 1L);
        try (LlamaModel djl = load(config, w, "djl", 1);
                LlamaModel vector = load(config, w, "java", 1);
                KvCache tensors = djl.newCache(8);
                KvCache arrays = vector.newCache(8)) {
            assertThatThrownBy(() -> vector.logits(tensors, new long[] {1}, new long[] {0}, null, 0))
                    .hasMessageContaining("This KV cache holds DJL tensors but the model runs the Java CPU")
                    .hasMessageContaining("create the cache with the same model's newCache");
            assertThatThrownBy(() -> djl.argmax(arrays, new long[] {1}, new long[] {0}, null, 0))
                    .hasMessageContaining("This KV cache holds Java arrays but the model runs the DJL forward pass");
            assertThat(tensors.length()).isZero();
            assertThat(arrays.length()).isZero();
            for (LlamaModel model : List.of(djl, vector)) {
                assertThatThrownBy(() -> model.newCache(config.maxPositions() + 1))
                        .as(model.backend())
                        .hasMessageContaining("exceeds the model's max_position_embeddings " + config.maxPositions());
                assertThatThrownBy(() -> model.newCache(0))
                        .as(model.backend())
                        .hasMessageContaining("KV cache capacity must be positive, got 0");
            }
        }
        assertThatThrownBy(() -> load(config, w, "fast", 1)).hasMessageContaining("Unknown sdsat.cpuKernels 'fast'");
    }

    private static LlamaModel load(LlamaConfig config, Map<String, float[]> w, String kernels, int threads) {
        return LlamaModel.fromSource(config, new InMemoryWeights(w), Device.cpu(), DataType.FLOAT32, kernels, threads);
    }

    private static void assertClose(float[] got, float[] expected, String what) {
        assertThat(got).as(what).hasSameSizeAs(expected);
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.abs(got[i] - expected[i]));
        }
        assertThat(max).as("max |java - djl| for %s", what).isLessThan(TOLERANCE);
    }
}
