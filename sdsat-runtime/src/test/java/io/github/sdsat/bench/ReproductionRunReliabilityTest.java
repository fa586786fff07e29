package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.report.ResultFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's results are reproducible and its report is never half-written (issue 11): two runs with the same settings
 * give the same results.json except for the timing fields; a run killed after its first prompt leaves no report, or
 * the previous complete one; a re-run of the same run id replaces the old run folder as a whole.
 */
class ReproductionRunReliabilityTest {

    /** Fields that hold wall-clock measurements (or values modelled from them), so differ from run to run. */
    static final List<String> PROMPT_TIMING_FIELDS =
            List.of("timeMs", "prefillMs", "tokensPerSecond", "modelledDecodeMs", "modelledArDecodeMs");

    static final List<String> ROW_TIMING_FIELDS =
            List.of("meanTimeMs", "medianTimeMs", "speedup", "medianSpeedup", "tokensPerSecond", "ceilingSpeedup");
    static final List<String> ENVIRONMENT_TIMING_FIELDS = List.of("costCurveMs", "arWeightGBps");

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;

    static Path model;

    @TempDir
    Path reports;

    @BeforeAll
    static void model() {
        DjlOffline.enable();
        model = TinyModelFolder.write(shared.resolve("tiny"), 11);
    }

    /** Two prompts, greedy and sampled rows (two sampling decoders, both acceptance rules), 8 new tokens. */
    private ReproductionConfig.Builder tiny(String runId) {
        return ReproductionConfig.builder()
                .model(model)
                .device("cpu")
                .dtype("auto")
                .datasets(List.of("humaneval"))
                .dataLimit(ReproductionRunTest.TWO_PROMPTS)
                .kList(List.of(2))
                .decoders(List.of("sdsat"))
                .temperatures(List.of(0.0, 0.9))
                .samplingDecoders(List.of("sdsat", "lookup"))
                .samplingKList(List.of(2))
                .samplingModes(List.of(SamplingMode.LOSSLESS, SamplingMode.PAPER))
                .maxNewTokens(8)
                .infillMaxNewTokens(8)
                .warmup(0)
                .warmupMaxNewTokens(4)
                .seed(1234)
                .outputDirectory(reports)
                .runId(runId);
    }

    /** results.json without its timing fields. */
    static JsonNode withoutTiming(Path resultsJson) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(resultsJson.toFile());
        root.path("prompts").forEach(p -> ((ObjectNode) p).remove(PROMPT_TIMING_FIELDS));
        root.path("rows").forEach(r -> ((ObjectNode) r).remove(ROW_TIMING_FIELDS));
        ((ObjectNode) root.path("environment")).remove(ENVIRONMENT_TIMING_FIELDS);
        return root;
    }

    private static final class KilledAfterFirstPrompt extends RuntimeException {
        KilledAfterFirstPrompt() {
            super("simulated kill after the first prompt");
        }
    }

    private static final ReproductionRun.Listener KILL_AFTER_FIRST_PROMPT = new ReproductionRun.Listener() {
        @Override
        public void progress(ReproductionRun.Progress progress) {
            throw new KilledAfterFirstPrompt();
        }
    };

    private List<String> hiddenEntries() throws IOException {
        try (Stream<Path> entries = Files.list(reports)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("."))
                    .toList();
        }
    }

    @Test
    void sameSettingsGiveIdenticalResultsExceptTimingAndKilledOrRepeatedRunsNeverLeaveAMixedReport()
            throws IOException {
        Path runDir = reports.resolve("same");
        ReproductionRun.run(tiny("same").build(), null);
        byte[] firstJson = Files.readAllBytes(runDir.resolve(ResultFiles.RESULTS_JSON));
        JsonNode first = withoutTiming(runDir.resolve(ResultFiles.RESULTS_JSON));
        assertThat(first.path("prompts").size())
                .as("2 prompts x (2 baselines + 1 greedy + 4 sampled rows)")
                .isEqualTo(14);
        assertThat(first.path("prompts").findValuesAsText("decoder")).contains("ar", "sdsat", "lookup");

        // A stray file in the run folder: the re-run replaces the folder as a whole, so it disappears.
        Files.writeString(runDir.resolve("stale.png"), "left from an older run");
        ReproductionRun.run(tiny("same").build(), null);
        assertThat(runDir.resolve("stale.png")).doesNotExist();
        byte[] secondJson = Files.readAllBytes(runDir.resolve(ResultFiles.RESULTS_JSON));
        byte[] secondHtml = Files.readAllBytes(runDir.resolve(ResultFiles.INDEX_HTML));
        assertThat(withoutTiming(runDir.resolve(ResultFiles.RESULTS_JSON))).isEqualTo(first);
        assertThat(secondJson).as("the timing fields are measured anew").isNotEqualTo(firstJson);

        // Killed after its first prompt: the previous complete report stays, byte for byte.
        assertThatThrownBy(() -> ReproductionRun.run(tiny("same").build(), KILL_AFTER_FIRST_PROMPT))
                .isInstanceOf(KilledAfterFirstPrompt.class);
        assertThat(runDir.resolve(ResultFiles.RESULTS_JSON)).hasBinaryContent(secondJson);
        assertThat(runDir.resolve(ResultFiles.INDEX_HTML)).hasBinaryContent(secondHtml);

        // A new run id killed the same way leaves no report at all.
        assertThatThrownBy(() -> ReproductionRun.run(tiny("fresh").build(), KILL_AFTER_FIRST_PROMPT))
                .isInstanceOf(KilledAfterFirstPrompt.class);
        assertThat(reports.resolve("fresh").resolve(ResultFiles.RESULTS_JSON)).doesNotExist();
        assertThat(reports.resolve("fresh").resolve(ResultFiles.INDEX_HTML)).doesNotExist();
        assertThat(hiddenEntries())
                .as("no staging folder or temporary file is left behind")
                .isEmpty();
    }
}
