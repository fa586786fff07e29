package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java CPU pass (vector and scalar kernels) against the independent double-precision reference
 * ({@link ReferenceLlama}) at the head sizes real models use: 64 (the embedded model's, and the four-register
 * scores path with AVX-512), 128 (Llama, CodeLlama), the vector kernels' own four-register width (32 with AVX2),
 * an explicit head_dim that is not hidden / heads, and hidden sizes that are not a multiple of the vector length.
 * The pass runs as a prefill and then cached steps of 1..8 rows, so every row-block kernel meets a real cache
 * (keys of several kv heads at their offsets and strides).
 */
class WideHeadsMatchReferenceTest {
    /** float32 against double over two layers: logits are O(1), rounding is O(1e-6). */
    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest(name = "hidden={0} heads={1} kv={2} headDim={3} inter={4}")
    @CsvSource({
        "128, 2, 2, 64, 200", // head_dim 64 = hidden / heads, multi-head
        "128, 2, 1, 128, 136", // head_dim 128 (explicit: 2 x 128 != 128), multi-query
        "100, 3, 3, 64, 77", // hidden not a multiple of any vector length, head_dim 64 != 100 / 3
        "72, 4, 2, 0, 90", // head_dim = the vector kernels' four-register width (0 = tileWidth), GQA
        "60, 2, 2, 36, 50" // head_dim a multiple of neither vector length
    })
    void javaPassMatchesTheReference(int hidden, int heads, int kv, int headDimOrTile, int inter) {
        int headDim = headDimOrTile == 0 ? CpuKernels.best().tileWidth() : headDimOrTile;
        int layers = 2;
        int vocab = 131;
        Map<String, float[]> w =
                ReferenceLlama.randomWeights(hidden, inter, layers, heads, kv, headDim, vocab, false, 17L + hidden);
        LlamaConfig config = new LlamaConfig(
                hidden, inter, layers, heads, kv, headDim, vocab, 1e-5, 10000.0, 256, false, 0, List.of(1), "float32");
        ReferenceLlama reference =
                new ReferenceLlama(hidden, inter, layers, heads, kv, headDim, vocab, 1e-5, 10000.0, false, w);
        int[] steps = {13, 1, 2, 3, 4, 5, 6, 7, 8}; // prefill, then every row count of the block kernels
        int total = Arrays.stream(steps).sum();
        int[] tokens = new Random(hidden + headDim).ints(total, 0, vocab).toArray();
        double[][] expected = reference.logits(tokens);
        for (String kernels : new String[] {"java", "scalar"}) {
            try (LlamaModel model = LlamaModel.fromSource(
                            config, new InMemoryWeights(w), Device.cpu(), DataType.FLOAT32, kernels, 1);
                    KvCache cache = model.newCache(total)) {
                assertThat(model.backend()).startsWith("java");
                int done = 0;
                for (int n : steps) {
                    long[] part =
                            Arrays.stream(tokens, done, done + n).asLongStream().toArray();
                    long[] pos = LongStream.range(done, done + n).toArray();
                    float[] got = model.logits(cache, part, pos, null, 0);
                    double max = 0;
                    for (int r = 0; r < n; r++) {
                        for (int v = 0; v < vocab; v++) {
                            max = Math.max(max, Math.abs(got[r * vocab + v] - expected[done + r][v]));
                        }
                    }
                    assertThat(max)
                            .as("max |%s - reference| over %d rows at position %d (%s)", kernels, n, done, config)
                            .isLessThan(TOLERANCE);
                    done += n;
                }
            }
        }
    }
}
