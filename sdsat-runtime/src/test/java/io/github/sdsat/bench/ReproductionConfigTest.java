package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.results.Shard;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The record is the one list of reproduce parameters: results.json and shard copies follow it without more code. */
class ReproductionConfigTest {
    private static ReproductionConfig sample() {
        return ReproductionConfig.builder()
                .model(Path.of("m"))
                .device("cpu")
                .dtype("float32")
                .satToken("<sat>")
                .datasets(List.of("humaneval"))
                .dataLimit(0.25)
                .kList(List.of(1, 4))
                .decoders(List.of("sdsat"))
                .temperatures(List.of(0.0, 0.2))
                .samplingDecoders(List.of("sdsat-tree"))
                .samplingKList(List.of(5))
                .samplingModes(List.of(SamplingMode.LOSSLESS))
                .maxNewTokens(17)
                .infillMaxNewTokens(9)
                .seed(42)
                .runId("r")
                .shard(new Shard(1, 3))
                .outputDirectory(Path.of("out"))
                .warmup(2)
                .warmupMaxNewTokens(5)
                .build();
    }

    @Test
    void describeWritesEveryParameterButTheModelPath() {
        Map<String, Object> described = sample().describe(7L);
        for (RecordComponent c : ReproductionConfig.class.getRecordComponents()) {
            if (c.getName().equals("model")) {
                assertThat(described).doesNotContainKey("model");
            } else {
                assertThat(described).as(c.getName()).containsKey(c.getName());
            }
        }
        assertThat(described)
                .containsEntry("satToken", 7L)
                .containsEntry("shard", "1/3")
                .containsEntry("outputDirectory", "out")
                .containsEntry("samplingModes", List.of("lossless"))
                .containsEntry("kList", List.of(1, 4))
                .containsEntry("maxNewTokens", 17)
                .containsEntry("warmupMaxNewTokens", 5)
                .containsKey("lengthRule");
        assertThat(described.get("decoderSpecs"))
                .as("the registry's facts of the decoders the run measures")
                .isEqualTo(io.github.sdsat.decode.DecoderRegistry.facts(List.of("ar", "sdsat", "sdsat-tree")));
    }

    @Test
    void measuredDecodersAreTheBaselineThenTheRowsThatRun() {
        assertThat(sample().measuredDecoders()).containsExactly("ar", "sdsat", "sdsat-tree");
        ReproductionConfig greedyOnly = io.github.sdsat.Records.copyWith(sample(), "temperatures", List.of(0.0));
        assertThat(greedyOnly.measuredDecoders()).containsExactly("ar", "sdsat");
        ReproductionConfig samplingOnly = io.github.sdsat.Records.copyWith(sample(), "temperatures", List.of(1.0));
        assertThat(samplingOnly.measuredDecoders()).containsExactly("ar", "sdsat-tree");
    }

    @Test
    void onDeviceChangesOnlyTheDeviceAndTheShard() throws Exception {
        ReproductionConfig original = sample();
        ReproductionConfig copy = original.onDevice("gpu1", new Shard(2, 4));
        assertThat(copy.device()).isEqualTo("gpu1");
        assertThat(copy.shard()).isEqualTo(new Shard(2, 4));
        for (RecordComponent c : ReproductionConfig.class.getRecordComponents()) {
            if (!c.getName().equals("device") && !c.getName().equals("shard")) {
                assertThat(c.getAccessor().invoke(copy))
                        .as(c.getName())
                        .isEqualTo(c.getAccessor().invoke(original));
            }
        }
    }
}
