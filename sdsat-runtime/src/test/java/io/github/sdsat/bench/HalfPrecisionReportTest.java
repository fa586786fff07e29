package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.results.RunResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bfloat16 checkpoint on the Java CPU pass runs float32 arithmetic on 2-byte weights: the report header, results.json,
 * sdsat:generate's JSON and the console must say bfloat16, never "float32" (which would claim 4 bytes per weight and misstate the
 * roofline). The same run on the float32 folder keeps saying float32, so the check is not vacuous.
 */
class HalfPrecisionReportTest {
    @TempDir
    static Path shared;

    @BeforeAll
    static void offline() {
        DjlOffline.enable();
    }

    @Test
    void aBfloat16CheckpointIsNeverReportedAsFloat32() throws IOException {
        Run run = reproduce(TinyModelFolder.write(shared.resolve("bf16"), 5, SafetensorsDtype.BF16), "bf16");
        assertThat(run.results.environment().dtype()).isEqualTo("bfloat16");
        assertThat(run.results.environment().backend()).startsWith("java ").endsWith(", bfloat16 weights");
        assertThat(run.header).contains("<span>bfloat16</span>").doesNotContain("float32");
        assertThat(run.log).noneMatch(line -> line.contains("float32"));
        assertThat(run.log)
                .anyMatch(line -> line.startsWith("Forward pass: java ") && line.endsWith("bfloat16 weights"));
        // sdsat:generate's JSON names the same precision (asked for float32 compute, as a user would)
        TextGeneration.Outcome generated = TextGeneration.run(new TextGeneration.Request(
                shared.resolve("bf16"),
                "cpu",
                "float32",
                null,
                "def f(x):",
                "ar",
                GenerationConfig.builder().maxNewTokens(4).build()));
        assertThat(generated.stats()).containsEntry("dtype", "bfloat16");
    }

    @Test
    void aFloat32CheckpointStillSaysFloat32() throws IOException {
        Run run = reproduce(TinyModelFolder.write(shared.resolve("f32"), 5), "f32");
        assertThat(run.results.environment().dtype()).isEqualTo("float32");
        assertThat(run.results.environment().backend()).startsWith("java ").doesNotContain("bfloat16");
        assertThat(run.header).contains("<span>float32</span>").doesNotContain("bfloat16");
    }

    private record Run(RunResults results, String header, List<String> log) {}

    private static Run reproduce(Path model, String runId) throws IOException {
        Path reports = shared.resolve("reports-" + runId);
        List<String> log = new ArrayList<>();
        RunResults results = ReproductionGoal.reproduce(
                new ReproductionGoal.Request(
                        ReproductionConfig.builder()
                                .model(model)
                                .device("cpu")
                                .dtype("auto")
                                .datasets(List.of("humaneval"))
                                .dataLimit(ReproductionRunTest.TWO_PROMPTS)
                                .kList(List.of(1))
                                .decoders(List.of("sdsat"))
                                .temperatures(List.of(0.0))
                                .maxNewTokens(4)
                                .warmup(0)
                                .outputDirectory(reports)
                                .runId(runId)
                                .build(),
                        null,
                        null,
                        null,
                        null),
                log::add);
        String page = Files.readString(reports.resolve(runId).resolve(ResultFiles.INDEX_HTML));
        Matcher meta =
                Pattern.compile("<div class=\"meta\">.*?</div>", Pattern.DOTALL).matcher(page);
        assertThat(meta.find()).as("the report's header line").isTrue();
        return new Run(results, meta.group(), log);
    }
}
