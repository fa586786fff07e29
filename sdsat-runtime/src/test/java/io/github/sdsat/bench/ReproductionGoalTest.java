package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.accuracy.AccuracyConfig;
import io.github.sdsat.accuracy.LineCompletionConfig;
import io.github.sdsat.gate.GateSettings;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.EnvironmentFixtures;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.Shard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sdsat:reproduce} and {@code sdsat:merge} as their Mojos call them, on a random-weight tiny model: what each
 * logs, that the report is written before a failed gate fails the goal, and the refusals made before any work.
 */
class ReproductionGoalTest {
    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void model() {
        DjlOffline.enable();
        model = TinyModelFolder.write(shared.resolve("tiny"), 5);
    }

    private static ReproductionConfig.Builder tiny(Path reports) {
        return ReproductionConfig.builder()
                .model(model)
                .device("cpu")
                .dtype("auto")
                .datasets(List.of("humaneval"))
                .dataLimit(ReproductionRunTest.TWO_PROMPTS)
                .kList(List.of(1))
                .decoders(List.of("sdsat"))
                .temperatures(List.of(0.0))
                .maxNewTokens(8)
                .warmup(0)
                .outputDirectory(reports)
                .runId("goal");
    }

    private static AccuracyConfig humanEval() {
        return new AccuracyConfig(null, 1.0, 16, 0.02, 0, 0.2, "python3", Duration.ofSeconds(3), 1);
    }

    @Test
    void shardsAreReproducedThenMergedWithTheirSummariesLogged(@TempDir Path reports) {
        List<String> log = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ReproductionGoal.reproduce(
                    new ReproductionGoal.Request(
                            tiny(reports).shard(new Shard(i, 2)).build(),
                            null,
                            "no-such-base-model", // no stage compares with it in a shard: never resolved
                            null,
                            LineCompletionConfig.defaults()),
                    log::add);
        }
        assertThat(log.get(0)).startsWith("SDSAT reproduction goal: model " + model);
        assertThat(log)
                .contains("Line completion skipped: it measures two models in one process, not in a shard")
                .anyMatch(line -> line.startsWith(ReproductionGoal.SUMMARY_HEADING + "dataset"))
                .anyMatch(line -> line.startsWith("Report: ") && line.endsWith(ResultFiles.INDEX_HTML))
                .anyMatch(line -> line.startsWith("Gates (also in ") && line.contains("lossless"));

        List<String> mergeLog = new ArrayList<>();
        RunResults merged = ReproductionGoal.merge(reports, "goal", mergeLog::add);
        assertThat(merged.prompts()).hasSize(4); // 2 prompts x (ar, sdsat k=1)
        assertThat(mergeLog.get(0)).startsWith("Merged [0/2, 1/2] into " + reports.resolve("goal"));
        assertThat(mergeLog.get(1)).startsWith("Summary:\ndataset").contains("sdsat");
        assertThat(mergeLog.get(2))
                .isEqualTo("Report: "
                        + reports.resolve("goal")
                                .resolve(ResultFiles.INDEX_HTML)
                                .toAbsolutePath());
        assertThat(mergeLog.get(3)).startsWith("Gates of every shard:");
    }

    @Test
    void aFailedGateFailsTheGoalAfterTheReportIsWritten(@TempDir Path reports) {
        GateSettings floors = new GateSettings(
                true,
                GateSettings.DEFAULT_TIE_MARGIN,
                Map.of(new GateSettings.RowKey("sdsat", 1), 1000.0),
                Map.of(),
                null,
                GateSettings.DEFAULT_COUNT_TOLERANCE,
                GateSettings.DEFAULT_SPEEDUP_TOLERANCE,
                GateSettings.DEFAULT_ALPHA);
        List<String> log = new ArrayList<>();
        assertThatThrownBy(() -> ReproductionGoal.reproduce(
                        new ReproductionGoal.Request(tiny(reports).gates(floors).build(), null, null, null, null),
                        log::add))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("gates failed")
                .hasMessageContaining("minSpeedup: humaneval sdsat k=1 >= 1000.0x");
        assertThat(reports.resolve("goal").resolve(ResultFiles.INDEX_HTML)).isRegularFile();
        assertThat(log).anyMatch(line -> line.startsWith("Gates (also in "));
    }

    @Test
    void accuracyWithDevicesIsRefusedBeforeAnyWork(@TempDir Path reports) {
        assertThatThrownBy(() -> ReproductionGoal.reproduce(
                        new ReproductionGoal.Request(
                                tiny(reports).build(), List.of("cpu", "cpu"), null, humanEval(), null),
                        line -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sdsat.accuracy runs the accuracy stage in one process")
                .hasMessageContaining("drop sdsat.devices");
        assertThat(reports).isEmptyDirectory();
    }

    @Test
    void aBaseModelThatIsNoFolderIsRefusedWhenAStageComparesWithIt(@TempDir Path reports) {
        assertThatThrownBy(() -> ReproductionGoal.reproduce(
                        new ReproductionGoal.Request(
                                tiny(reports).build(),
                                null,
                                reports.resolve("missing-base").toString(),
                                null,
                                LineCompletionConfig.defaults()),
                        line -> {}))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("missing-base")
                .hasMessageContaining("does not exist or is not a folder");
        assertThat(reports).isEmptyDirectory();
    }

    private static List<String> costCurveLog(Map<Integer, Double> curve) {
        Environment environment = EnvironmentFixtures.cpuWithCostCurve(curve);
        List<String> log = new ArrayList<>();
        ReproductionGoal.logCostCurveWarning(RunResults.of(Map.of(), environment, List.of()), log::add);
        return log;
    }

    @Test
    void theSummaryIsFollowedByTheCostCurveWarningWhenTheCurveIsNotMonotone() {
        assertThat(costCurveLog(Map.of(1, 388.7, 3, 339.1)))
                .singleElement()
                .asString()
                .startsWith("Ceilings: The run's cost curve is not monotone: T(3) = 339.1 ms is 13 % below T(1)");
        assertThat(costCurveLog(Map.of(1, 300.0, 3, 330.0))).isEmpty();
    }
}
