package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The model-boundary pass meter counts every pass, by width, on both passes and through every entry point. */
class PassMeterTest {
    @ParameterizedTest
    @ValueSource(strings = {"java", "djl"})
    void everyPassIsCountedAtItsWidth(String kernels) {
        LlamaConfig config = TinyModels.small();
        Map<String, float[]> w =
                ReferenceLlama.randomWeights(64, config.intermediateSize(), 2, 4, 2, 16, 97, false, 1L);
        try (LlamaModel model = LlamaModel.fromSource(
                        config, new InMemoryWeights(w), Device.cpu(), DataType.FLOAT32, kernels, 1);
                KvCache cache = model.newCache(32)) {
            assertThat(model.passMeter().passes()).isZero();
            model.logits(cache, new long[] {1, 2, 3}, new long[] {0, 1, 2}, null, 2);
            model.argmax(cache, new long[] {4}, new long[] {3}, null, 0);
            model.argmax(cache, new long[] {5, 6, 7}, new long[] {4, 5, 6}, null, 0);
            try (NDManager m = model.manager().newSubManager()) {
                model.forward(m.create(new long[] {1, 2}), m.create(new long[] {0, 1}), null, null);
            }
            assertThat(model.passMeter().passes()).isEqualTo(4);
            assertThat(model.passMeter().passesByWidth()).containsExactly(0, 1, 1, 2);
        }
    }
}
