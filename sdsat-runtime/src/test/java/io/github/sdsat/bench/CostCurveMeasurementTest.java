package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.sdsat.Records;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import io.github.sdsat.report.ResultFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostCurveMeasurementTest {
    @Test
    void aTinyRunHasEveryPassSizeRatiosToT1AndSkipsCachedLengthsBeyondTheContext(@TempDir Path dir) throws Exception {
        LlamaConfig config = TinyModels.small();
        assertThat(config.maxPositions()).isLessThan(1024 + 64); // so the 1024-cached curve must be skipped
        Roofline roofline = PassFloorTest.flat(50, 100);
        CostCurveMeasurement.ModelCurve m;
        long weightBytes;
        try (LlamaModel model = TinyModels.model(config, 3)) {
            m = CostCurveMeasurement.measure("tiny", model, roofline, 1, 1, CostCurve.NEW_TOKENS, CostCurve.CACHED);
            weightBytes = model.weightBytesPerPass();
        }
        // the floor's weight term is what the model reports it stores, not 4 bytes times the weights
        assertThat(m.weightBytesPerPass()).isEqualTo(weightBytes);
        assertThat(m.bytesPerWeight()).isEqualTo((double) weightBytes / m.matmulParameters());
        assertThat(m.curves()).extracting(CostCurveMeasurement.Curve::cached).containsExactly(0, 256);
        assertThat(m.skipped()).singleElement().asString().contains("cached 1024 skipped", "512");
        for (CostCurveMeasurement.Curve curve : m.curves()) {
            assertThat(curve.points())
                    .extracting(CostCurveMeasurement.Point::newTokens)
                    .containsExactlyElementsOf(CostCurve.NEW_TOKENS);
            CostCurveMeasurement.Point first = curve.points().get(0);
            assertThat(first.ratio()).isEqualTo(1.0);
            assertThat(first.predictedRatio()).isEqualTo(1.0);
            for (CostCurveMeasurement.Point p : curve.points()) {
                assertThat(p.samplesMs()).hasSize(1);
                assertThat(p.medianMs()).isPositive();
                assertThat(p.ratio()).isCloseTo(p.medianMs() / first.medianMs(), within(1e-12));
                PassFloor.Prediction expected =
                        PassFloor.predict(config, weightBytes, 4, curve.cached(), p.newTokens(), roofline, 1);
                assertThat(p.bytes()).isEqualTo(expected.bytes());
                assertThat(p.predictedMs()).isCloseTo(expected.seconds() * 1e3, within(1e-12));
                assertThat(p.predictedRatio()).isCloseTo(p.predictedMs() / first.predictedMs(), within(1e-12));
            }
        }
        String table = CostCurveMeasurement.markdown(m);
        assertThat(table)
                .startsWith(String.format(
                        java.util.Locale.ROOT,
                        "### tiny: hidden %d, %d layers, %d heads, intermediate %d, vocab %d (%.1fM matmul weights, ",
                        config.hiddenSize(),
                        config.numLayers(),
                        config.numHeads(),
                        config.intermediateSize(),
                        config.vocabSize(),
                        m.matmulParameters() / 1e6));
        assertThat(table)
                .contains(
                        "cached 1024 skipped",
                        "0 tokens cached:\n\n| new tokens | T(n) ms | T(n)/T(1) | roofline ms | roofline ratio | bound"
                                + " | T/roofline |\n|---|---|---|---|---|---|---|\n| 1 | ",
                        "256 tokens cached",
                        "| 64 |",
                        String.format(java.util.Locale.ROOT, "%.0f MB read per pass", weightBytes / 1e6));

        // the AR line keeps the digits a slow model's rate needs (2.79 and 3.6 tokens/s differ by 30 %)
        assertThat(table).doesNotContain("Autoregressive greedy");
        assertThat(CostCurveMeasurement.markdown(Records.copyWith(m, "arTokensPerSecond", 2.786)))
                .contains("Autoregressive greedy (100-token prompt, 128 new tokens): 2.79 tokens/s\n");
        assertThat(CostCurveMeasurement.markdown(Records.copyWith(m, "arTokensPerSecond", 1834.4)))
                .contains("Autoregressive greedy (100-token prompt, 128 new tokens): 1834 tokens/s\n");

        Path json = dir.resolve("out/cost-curve.json");
        BenchmarkJson.write(new CostCurveMeasurement.Report("now", "17", "amd64", 2, 1, 1, roofline, List.of(m)), json);
        JsonNode root = ResultFiles.mapper().readTree(json.toFile());
        JsonNode model = root.path("models").get(0);
        assertThat(model.path("curves").get(1).path("cached").asInt()).isEqualTo(256);
        assertThat(model.path("curves").get(0).path("points")).hasSize(15);
        assertThat(model.path("weightBytesPerPass").asLong()).isEqualTo(weightBytes);
        assertThat(root.path("roofline").path("kernel").asText()).isEqualTo("test");
    }

    @Test
    void theWidthsAndCachedLengthsGivenAreTheOnesMeasured() {
        try (LlamaModel model = TinyModels.model(TinyModels.small(), 3)) {
            CostCurveMeasurement.ModelCurve m = CostCurveMeasurement.measure(
                    "tiny", model, PassFloorTest.flat(50, 100), 1, 2, List.of(1, 2, 3), List.of(0, 16));
            assertThat(m.curves())
                    .extracting(CostCurveMeasurement.Curve::cached)
                    .containsExactly(0, 16);
            assertThat(m.curves().get(1).points())
                    .extracting(CostCurveMeasurement.Point::newTokens)
                    .containsExactly(1, 2, 3);
            assertThat(m.curves().get(1).points().get(2).samplesMs()).hasSize(2);
            assertThat(m.skipped()).isEmpty();
        }
    }
}
