package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostCurveTest {
    /** hidden 8, intermediate 16, 2 layers, 2 query heads sharing 1 KV head of width 4, vocab 10. */
    private static final LlamaConfig SMALL =
            new LlamaConfig(8, 16, 2, 2, 1, 4, 10, 1e-5, 10000, 64, true, 0, List.of(1), "float32");

    /** One bandwidth for every size (10 GB/s) and 1 GFLOP/s, so the hand computation is exact. */
    private static Roofline flat(double gbPerSecond, double gflopPerSecond) {
        return new Roofline(
                "test",
                32,
                List.of(new Roofline.Bandwidth(1_000_000, 1, gbPerSecond)),
                List.of(new Roofline.Fma(1, gflopPerSecond)),
                0);
    }

    @Test
    void matmulParametersCountEveryProjectionAndTheLmHeadEvenWhenTied() {
        // per layer: q|k|v 8·(8 + 2·4) = 128, o 8·8 = 64, gate+up+down 3·8·16 = 384 → 576;
        // 2 layers 1152; LM head 10·8 = 80 (tied: still read whole by the head) → 1232
        assertThat(CostCurve.matmulParameters(SMALL)).isEqualTo(1232);
    }

    @Test
    void predictionMatchesAHandComputation() {
        // n = 3 after 5 cached, F32: weights 1232·4 = 4928 B; K/V 2·2 layers·8 tokens·4 wide·4 B = 512 B → 5440 B
        // FLOPs 2·3·1232 = 7392 + attention 2 layers·2·2·3·8·(2·4) = 1536 → 8928
        CostCurve.Prediction p = CostCurve.predict(SMALL, 4, 5, 3, flat(10, 1), 1);
        assertThat(p.bytes()).isEqualTo(5440);
        assertThat(p.flops()).isEqualTo(8928.0);
        assertThat(p.memorySeconds()).isCloseTo(5440 / 10e9, within(1e-15));
        assertThat(p.computeSeconds()).isCloseTo(8928 / 1e9, within(1e-15));
        assertThat(p.seconds()).isEqualTo(p.computeSeconds());
        assertThat(p.bound()).isEqualTo("compute");
        // a very slow memory makes the same pass memory-bound
        CostCurve.Prediction slow = CostCurve.predict(SMALL, 4, 5, 3, flat(1e-6, 1), 1);
        assertThat(slow.bound()).isEqualTo("memory");
        assertThat(slow.seconds()).isCloseTo(5440 / 1e3, within(1e-9));
        assertThatThrownBy(() -> CostCurve.predict(SMALL, 4, 0, 0, flat(10, 1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("n >= 1");
    }

    @Test
    void aTinyRunHasEveryPassSizeRatiosToT1AndSkipsCachedLengthsBeyondTheContext(@TempDir Path dir) throws Exception {
        LlamaConfig config = TinyModels.small();
        assertThat(config.maxPositions()).isLessThan(1024 + 64); // so the 1024-cached curve must be skipped
        Roofline roofline = flat(50, 100);
        CostCurve.ModelCurve m;
        try (LlamaModel model = TinyModels.model(config, 3)) {
            m = CostCurve.measure("tiny", model, roofline, 1, 1, CostCurve.NEW_TOKENS, CostCurve.CACHED);
        }
        assertThat(m.curves()).extracting(CostCurve.Curve::cached).containsExactly(0, 256);
        assertThat(m.skipped()).singleElement().asString().contains("cached 1024 skipped", "512");
        for (CostCurve.Curve curve : m.curves()) {
            assertThat(curve.points())
                    .extracting(CostCurve.Point::newTokens)
                    .containsExactlyElementsOf(CostCurve.NEW_TOKENS);
            CostCurve.Point first = curve.points().get(0);
            assertThat(first.ratio()).isEqualTo(1.0);
            assertThat(first.predictedRatio()).isEqualTo(1.0);
            for (CostCurve.Point p : curve.points()) {
                assertThat(p.samplesMs()).hasSize(1);
                assertThat(p.medianMs()).isPositive();
                assertThat(p.ratio()).isCloseTo(p.medianMs() / first.medianMs(), within(1e-12));
                CostCurve.Prediction expected =
                        CostCurve.predict(config, 4, curve.cached(), p.newTokens(), roofline, 1);
                assertThat(p.predictedMs()).isCloseTo(expected.seconds() * 1e3, within(1e-12));
                assertThat(p.predictedRatio()).isCloseTo(p.predictedMs() / first.predictedMs(), within(1e-12));
            }
        }
        String table = CostCurve.markdown(m);
        assertThat(table).contains("cached 1024 skipped", "0 tokens cached", "256 tokens cached", "| 64 |");

        Path json = dir.resolve("out/cost-curve.json");
        CostCurve.write(new CostCurve.Report("now", "17", "amd64", 2, 1, 1, roofline, List.of(m)), json);
        JsonNode root = CostCurve.mapper().readTree(json.toFile());
        assertThat(root.path("models")
                        .get(0)
                        .path("curves")
                        .get(1)
                        .path("cached")
                        .asInt())
                .isEqualTo(256);
        assertThat(root.path("models").get(0).path("curves").get(0).path("points"))
                .hasSize(15);
        assertThat(root.path("roofline").path("kernel").asText()).isEqualTo("test");
    }

    @Test
    void badOptionsAreRefusedWithTheFix() {
        assertThatThrownBy(() -> CostCurve.Options.parse(new String[] {"--rounds", "0"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--rounds must be at least 1");
        assertThatThrownBy(() -> CostCurve.Options.parse(new String[] {"--threads", "two"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("takes an integer");
        assertThatThrownBy(() -> CostCurve.Options.parse(new String[] {"--bogus", "1"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("usage");
        assertThatThrownBy(() -> CostCurve.Options.parse(new String[] {"--json"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> CostCurve.randomShape("1024:8:16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hidden:layers:heads");
        assertThatThrownBy(() -> CostCurve.randomShape("1000:8:16:2816:32000:2048"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of heads");
        assertThat(CostCurve.randomShape(CostCurve.DEFAULT_RANDOM_SHAPE).maxPositions())
                .isGreaterThanOrEqualTo(1088);
        CostCurve.Options defaults = CostCurve.Options.parse(new String[0]);
        assertThat(defaults.models()).containsExactly("sdsat", "random");
        assertThat(CostCurve.matmulParameters(defaults.randomShape()) * 4).isBetween(500_000_000L, 600_000_000L);
    }

    @Test
    void aThreadCountThatContradictsTheEngineSettingIsRefused() {
        String before = System.getProperty("ai.djl.pytorch.num_threads");
        try {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            assertThatThrownBy(() -> CostCurve.pinThreads(2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("disagrees with --threads 2");
        } finally {
            if (before == null) {
                System.clearProperty("ai.djl.pytorch.num_threads");
            } else {
                System.setProperty("ai.djl.pytorch.num_threads", before);
            }
        }
    }
}
