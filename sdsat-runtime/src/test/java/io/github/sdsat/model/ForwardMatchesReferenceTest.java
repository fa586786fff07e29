package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** DJL logits against the independent scalar double-precision reference (HF Llama conventions, docs/DESIGN.md §3). */
class ForwardMatchesReferenceTest {

    @ParameterizedTest(name = "hidden={0} layers={1} heads={2} kv={3} tied={4} theta={5}")
    @CsvSource({
        "64, 2, 4, 4, true, 10000", // plain multi-head, tied embeddings
        "64, 2, 4, 2, false, 10000", // grouped-query attention, untied
        "96, 3, 6, 2, false, 500000", // GQA 3:1 with a non-default rope_theta (Llama-3 style)
        "32, 1, 2, 1, false, 1000000" // multi-query attention, CodeLlama's rope_theta
    })
    void logitsMatchReference(int hidden, int layers, int heads, int kv, boolean tied, double theta) {
        int inter = hidden * 3 - 5;
        int vocab = 131;
        int headDim = hidden / heads;
        Map<String, float[]> w = ReferenceLlama.randomWeights(
                hidden, inter, layers, heads, kv, headDim, vocab, tied, 42L + hidden + layers);
        LlamaConfig config = new LlamaConfig(
                hidden, inter, layers, heads, kv, headDim, vocab, 1e-5, theta, 256, tied, 0, List.of(1), "float32");
        ReferenceLlama ref = new ReferenceLlama(hidden, inter, layers, heads, kv, headDim, vocab, 1e-5, theta, tied, w);
        int[] tokens = new Random(hidden).ints(20, 0, vocab).toArray();
        double[][] expected = ref.logits(tokens);
        long[] ids = java.util.Arrays.stream(tokens).asLongStream().toArray();
        long[] pos = java.util.stream.LongStream.range(0, 20).toArray();
        try (LlamaModel model = LlamaModel.fromSource(config, new InMemoryWeights(w), Device.cpu(), DataType.FLOAT32);
                NDManager m = model.manager().newSubManager()) {
            float[] got =
                    model.forward(m.create(ids), m.create(pos), null, null).toFloatArray();
            double maxDiff = 0;
            for (int i = 0; i < 20; i++) {
                for (int v = 0; v < vocab; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(got[i * vocab + v] - expected[i][v]));
                }
            }
            assertThat(maxDiff)
                    .as("max |DJL - reference| over 20 x %d logits", vocab)
                    .isLessThan(1e-4);
        }
    }
}
