package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import io.github.sdsat.report.ResultFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oracle benchmark's structure on a tiny random model (timings are not checked, only what is reported). */
class OracleBenchmarkTest {
    @Test
    void everyConfigurationIsReportedWithItsCeilingAndTheOraclesMatchAr(@TempDir Path dir) throws Exception {
        OracleBenchmark.Options options = new OracleBenchmark.Options(
                TinyModels.small(), 2, 12, 25, List.of(1, 3), List.of(3), 1, 1, dir.resolve("oracle.json"), null);
        OracleBenchmark.Report report;
        try (LlamaModel model = TinyModels.model(TinyModels.small(), 5)) {
            report = OracleBenchmark.run(model, options);
        }
        assertThat(report.rows())
                .extracting(OracleBenchmark.Row::decoder, OracleBenchmark.Row::k)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("ar", 0),
                        org.assertj.core.groups.Tuple.tuple("oracle", 1),
                        org.assertj.core.groups.Tuple.tuple("oracle", 3),
                        org.assertj.core.groups.Tuple.tuple("oracle-two-step", 3));
        assertThat(report.passMs()).containsOnlyKeys(1, 2, 4);
        assertThat(report.cached()).isEqualTo(12 + 25 / 2);
        double t1 = report.passMs().get(1);
        OracleBenchmark.Row ar = report.rows().get(0);
        assertThat(ar.speedup()).isEqualTo(1.0);
        assertThat(ar.ceiling()).isEqualTo(1.0);
        assertThat(ar.tokensPerPass()).isEqualTo(1.0);
        for (OracleBenchmark.Row row : report.rows()) {
            assertThat(row.identical())
                    .as("%s k=%d output = AR's", row.decoder(), row.k())
                    .isEqualTo(2);
            assertThat(row.samples()).hasSize(2);
            assertThat(row.speedup()).isCloseTo(row.tokensPerSecond() / ar.tokensPerSecond(), within(1e-12));
            assertThat(row.decodeSpeedup())
                    .isCloseTo(row.decodeTokensPerSecond() / ar.decodeTokensPerSecond(), within(1e-12));
            // without the prefill's time the rate is higher than the end-to-end one
            assertThat(row.decodeTokensPerSecond()).isGreaterThan(row.tokensPerSecond());
        }
        // 25 tokens: the prefill's, then k + 1 per pass (one-pass) or k + 2 per two passes (two-step)
        assertThat(report.rows().get(1).tokensPerPass()).isCloseTo(25.0 / 13, within(1e-12));
        assertThat(report.rows().get(2).tokensPerPass()).isCloseTo(25.0 / 7, within(1e-12));
        assertThat(report.rows().get(3).tokensPerPass()).isCloseTo(25.0 / 11, within(1e-12));
        assertThat(report.rows().get(1).ceiling())
                .isCloseTo(2 * t1 / report.passMs().get(2), within(1e-12));
        assertThat(report.rows().get(3).ceiling())
                .isCloseTo(5 * t1 / (2 * report.passMs().get(4)), within(1e-12));

        String md = OracleBenchmark.markdown(report);
        LlamaConfig shape = report.config();
        assertThat(md)
                .startsWith("### Oracle loops: hidden " + shape.hiddenSize() + ", " + shape.numLayers() + " layers, "
                        + shape.numHeads() + " heads, intermediate " + shape.intermediateSize() + ", vocab "
                        + shape.vocabSize() + ", " + report.backend() + "; ");
        assertThat(md)
                .contains(
                        "x)\n\n| decoder | k | tokens/s | speedup vs ar | tokens per pass | decode tokens/s | decode speedup "
                                + "| ceiling | identical |\n"
                                + "|---|---|---|---|---|---|---|---|---|\n| ar | 0 | ",
                        "| oracle-two-step | 3 |",
                        "T(4)");
        BenchmarkJson.write(report, options.json());
        JsonNode json = ResultFiles.mapper().readTree(options.json().toFile());
        assertThat(json.get("rows")).hasSize(4);
        assertThat(json.get("rows").get(3).get("decoder").asText()).isEqualTo("oracle-two-step");
        assertThat(json.get("passMs").get("4").asDouble()).isPositive();
    }

    @Test
    void badOptionsAreRefusedWithTheFix() {
        OracleBenchmark.Options defaults = OracleBenchmark.Options.parse(new String[0]);
        assertThat(defaults.onePassK()).containsExactly(1, 3, 5, 7);
        assertThat(defaults.twoStepK()).containsExactly(3, 5);
        assertThat(defaults.shape().hiddenSize()).isEqualTo(1024);
        assertThat(defaults.newTokens()).isEqualTo(128);
        assertThat(OracleBenchmark.Options.parse(new String[] {"--two-step-k", ""})
                        .twoStepK())
                .isEmpty();
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(new String[] {"--one-pass-k", "0"}))
                .hasMessageContaining("k = 0 is not a draft length");
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(new String[] {"--prompts", "x"}))
                .hasMessageContaining("--prompts takes an integer, got 'x'");
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(new String[] {"--speed"}))
                .hasMessageContaining("--speed needs a value");
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(new String[] {"--model", "/nonexistent-folder"}))
                .hasMessageContaining("has no config.json");
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(
                        new String[] {"--model", "/tmp", "--random-shape", "64:2:4:128:256:512"}))
                .hasMessageContaining("--model and --random-shape both given");
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(new String[] {"--fast", "1"}))
                .hasMessageContaining("unknown argument --fast");
        assertThatThrownBy(() -> OracleBenchmark.Options.parse(new String[] {"--new-tokens", "1"}))
                .hasMessageContaining("new tokens at least 2");
        OracleBenchmark.Options tooLong = new OracleBenchmark.Options(
                TinyModels.small(), 1, 500, 25, List.of(1), List.of(), 1, 1, Path.of("x.json"), null);
        try (LlamaModel model = TinyModels.model(TinyModels.small(), 5)) {
            assertThatThrownBy(() -> OracleBenchmark.run(model, tooLong))
                    .hasMessageContaining("more than the model's context 512");
        }
    }

    @Test
    void measuresAModelFolderGivenByModel(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path folder = TinyModelFolder.write(dir.resolve("bf16"), 7, io.github.sdsat.model.SafetensorsDtype.BF16);
        Path json = dir.resolve("oracle.json");
        OracleBenchmark.main(new String[] {
            "--model",
            folder.toString(),
            "--prompts",
            "1",
            "--prompt-length",
            "6",
            "--new-tokens",
            "8",
            "--one-pass-k",
            "2",
            "--two-step-k",
            "2",
            "--curve-rounds",
            "1",
            "--json",
            json.toString()
        });
        com.fasterxml.jackson.databind.JsonNode written =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertThat(written.path("rows")).hasSize(3);
        written.path("rows")
                .forEach(row -> assertThat(row.path("identical").asBoolean()).isTrue());
    }
}
