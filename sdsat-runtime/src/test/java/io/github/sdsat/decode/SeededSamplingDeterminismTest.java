package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same ids: every decoder that samples draws only from the config's seed, so a sampled run can be
 * repeated exactly (and a results.json compared run to run). A different seed must change some outputs, which shows
 * the seed is what is being held fixed.
 */
class SeededSamplingDeterminismTest {

    private static final int VOCAB = 61;
    private static final long SAT = VOCAB - 1;
    private static final long[] PROMPT = {1, 7, 12, 7, 12, 30, 7, 12};
    private static LlamaModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.model(TinyModels.config(32, 1, 2, 1, VOCAB, false, 10000), 5);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The decoders whose registry entry says they sample (the others refuse a sampling config). */
    private static List<Decoder> samplingDecoders() {
        return RegistryCases.samplers().stream()
                .map(name -> Decoders.create(name, model, SAT))
                .toList();
    }

    private static GenerationConfig sampled(SamplingMode mode, long seed, int k) {
        return GenerationConfig.builder()
                .maxNewTokens(24)
                .temperature(1.3)
                .topK(40)
                .topP(0.95)
                .seed(seed)
                .k(k)
                .sampling(mode)
                .build();
    }

    @Test
    void theSameSeedGivesTheSameIdsForEverySamplingDecoderAndMode() {
        int differentWithAnotherSeed = 0;
        List<String> cases = new ArrayList<>();
        for (Decoder decoder : samplingDecoders()) {
            int k = RegistryCases.kAtLeast(decoder.name(), 3);
            for (SamplingMode mode : SamplingMode.values()) {
                String what = decoder.name() + " " + mode;
                long[] first = decoder.generate(PROMPT, sampled(mode, 42, k)).outputIds();
                long[] again = decoder.generate(PROMPT, sampled(mode, 42, k)).outputIds();
                assertThat(again).as(what + ": the same seed twice").isEqualTo(first);
                // A fresh decoder object too: no state may carry over from one generation to the next.
                Decoder fresh = samplingDecoders().stream()
                        .filter(d -> d.name().equals(decoder.name()))
                        .findFirst()
                        .orElseThrow();
                assertThat(fresh.generate(PROMPT, sampled(mode, 42, k)).outputIds())
                        .as(what + ": the same seed on a new decoder")
                        .isEqualTo(first);
                long[] other = decoder.generate(PROMPT, sampled(mode, 43, k)).outputIds();
                if (!java.util.Arrays.equals(other, first)) {
                    differentWithAnotherSeed++;
                }
                cases.add(what);
            }
        }
        assertThat(cases).hasSize(2 * samplingDecoders().size());
        assertThat(differentWithAnotherSeed)
                .as("cases whose output changes with the seed (of %s)", cases)
                .isGreaterThanOrEqualTo(6);
    }
}
