package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KvCacheConsistencyTest {
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.model(TinyModels.small(), 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static long[] randomTokens(int n, long seed) {
        Random r = new Random(seed);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(model.config().vocabSize());
        }
        return t;
    }

    static long[] range(long from, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }

    static float[] fullLogits(long[] tokens) {
        try (NDManager m = model.manager().newSubManager()) {
            return model.forward(m.create(tokens), m.create(range(0, tokens.length)), null, null)
                    .toFloatArray();
        }
    }

    @Test
    void incrementalDecodingMatchesFullForward() {
        long[] tokens = randomTokens(20, 1);
        float[] full = fullLogits(tokens);
        int vocab = model.config().vocabSize();
        try (KvCache cache = model.newCache(64)) {
            int[] chunks = {7, 1, 5, 1, 6};
            int done = 0;
            for (int c : chunks) {
                long[] part = java.util.Arrays.copyOfRange(tokens, done, done + c);
                try (NDManager m = model.manager().newSubManager()) {
                    float[] got = model.forward(m.create(part), m.create(range(done, c)), null, cache)
                            .toFloatArray();
                    for (int i = 0; i < got.length; i++) {
                        assertThat((double) got[i])
                                .isCloseTo(full[done * vocab + i], org.assertj.core.data.Offset.offset(1e-4));
                    }
                }
                done += c;
            }
            assertThat(cache.length()).isEqualTo(20);
        }
    }

    @Test
    void truncateAndCompactEqualFreshPrefill() {
        long[] committed = randomTokens(12, 2);
        long[] junk = randomTokens(6, 3);
        try (KvCache fresh = model.newCache(64);
                KvCache edited = model.newCache(64);
                NDManager m = model.manager().newSubManager()) {
            model.forward(m.create(committed), m.create(range(0, 12)), null, fresh);
            // prefix 8, then 4 junk tokens (truncated away), then tokens 8..11 interleaved with junk, compacted
            model.forward(m.create(java.util.Arrays.copyOf(committed, 8)), m.create(range(0, 8)), null, edited);
            model.forward(m.create(java.util.Arrays.copyOf(junk, 4)), m.create(range(8, 4)), null, edited);
            edited.truncate(8);
            long[] mixed = {junk[4], committed[8], committed[9], junk[5], committed[10], committed[11]};
            long[] pos = {8, 8, 9, 9, 10, 11};
            // tree-style mask: each committed token sees the prefix and the committed tokens before it
            float[] mask = new float[6 * 14];
            java.util.Arrays.fill(mask, Float.NEGATIVE_INFINITY);
            int[][] sees = {{0}, {1}, {1, 2}, {1, 2, 3}, {1, 2, 4}, {1, 2, 4, 5}};
            for (int r = 0; r < 6; r++) {
                for (int c = 0; c < 8; c++) {
                    mask[r * 14 + c] = 0;
                }
                for (int s : sees[r]) {
                    mask[r * 14 + 8 + s] = 0;
                }
            }
            model.forward(
                    m.create(mixed), m.create(pos), m.create(mask, new ai.djl.ndarray.types.Shape(6, 14)), edited);
            edited.compact(8, new int[] {9, 10, 12, 13});
            assertThat(edited.length()).isEqualTo(12);
            for (int layer = 0; layer < model.config().numLayers(); layer++) {
                assertClose(edited.committedKeys(layer), fresh.committedKeys(layer));
                assertClose(edited.committedValues(layer), fresh.committedValues(layer));
            }
        }
    }

    private static void assertClose(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-5));
        }
    }
}
