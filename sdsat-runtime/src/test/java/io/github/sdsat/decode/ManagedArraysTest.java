package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One generation of each decoder returns the model's managed NDArray count to where it started, so a long run does not
 * accumulate native memory through DJL (the soak benchmark, {@code bench.SoakBenchmark}, watches the same count and
 * the resident memory over 1,200 generations). The DJL pass is where arrays are made per pass; the Java pass must not
 * make any either.
 */
class ManagedArraysTest {

    private static final int VOCAB = 47;
    private static final long SAT = VOCAB - 1;
    private static final long[] PROMPT = {1, 3, 5, 3, 5, 8, 3, 5};

    private static List<String> leaks(LlamaModel model) {
        List<String> leaks = new ArrayList<>();
        // The first pass sizes the RoPE tables and the causal mask; later generations of the same size reuse them.
        Decoders.create(AutoregressiveDecoder.NAME, model, SAT)
                .generate(PROMPT, GenerationConfig.builder().maxNewTokens(16).build());
        List<GenerationConfig> configs = new ArrayList<>();
        for (String name : Decoders.names()) {
            int k = RegistryCases.kAtLeast(name, 3);
            configs.add(GenerationConfig.builder().maxNewTokens(12).k(k).build());
        }
        for (int i = 0; i < Decoders.names().size(); i++) {
            String name = Decoders.names().get(i);
            List<GenerationConfig> runs = new ArrayList<>(List.of(configs.get(i)));
            if (RegistryCases.samplers().contains(name)) {
                runs.add(GenerationConfig.builder()
                        .maxNewTokens(12)
                        .k(configs.get(i).k())
                        .temperature(0.9)
                        .seed(5)
                        .build());
            }
            for (GenerationConfig config : runs) {
                int before = model.manager().getManagedArrays().size();
                GenerationResult result = Decoders.create(name, model, SAT).generate(PROMPT, config);
                assertThat(result.outputIds()).isNotEmpty();
                int after = model.manager().getManagedArrays().size();
                if (after != before) {
                    leaks.add(name + " t=" + config.temperature() + ": " + before + " -> " + after);
                }
            }
        }
        return leaks;
    }

    @Test
    void eachDecoderReturnsTheDjlPassModelsArrayCountToWhereItStarted() {
        String previous = System.getProperty("sdsat.cpuKernels");
        System.setProperty("sdsat.cpuKernels", "djl");
        LlamaModel model;
        try {
            model = TinyModels.model(TinyModels.config(32, 1, 2, 1, VOCAB, false, 10000), 4);
        } finally {
            if (previous == null) {
                System.clearProperty("sdsat.cpuKernels");
            } else {
                System.setProperty("sdsat.cpuKernels", previous);
            }
        }
        try (model) {
            assertThat(model.backend()).startsWith("djl");
            assertThat(model.manager().getManagedArrays())
                    .as("the weights and constants are managed arrays")
                    .isNotEmpty();
            assertThat(leaks(model)).isEmpty();
        }
    }

    @Test
    void eachDecoderReturnsTheJavaPassModelsArrayCountToWhereItStarted() {
        try (LlamaModel model = TinyModels.model(TinyModels.config(32, 1, 2, 1, VOCAB, false, 10000), 4)) {
            assertThat(model.backend()).startsWith("java");
            assertThat(leaks(model)).isEmpty();
        }
    }
}
