package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.sdsat.SdsatException;
import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.report.ShardFolders;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.Shard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol on a random-weight tiny model: 2 prompts per dataset, k {1, 2}, 16 new tokens. */
class ReproductionRunTest {
    /** 2 of HumanEval's 164 problems. */
    static final double TWO_PROMPTS = 2.0 / HumanEval.PROBLEM_COUNT;

    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void model() {
        DjlOffline.enable();
        model = TinyModelFolder.write(shared.resolve("tiny"), 7);
    }

    static ReproductionConfig.Builder small(Path reports) {
        return ReproductionConfig.builder()
                .model(model)
                .device("cpu")
                .dtype("auto")
                .datasets(List.of("humaneval", "infilling"))
                .dataLimit(TWO_PROMPTS)
                .kList(List.of(1, 2))
                .decoders(List.of("sdsat", "sdsat-single-pass"))
                .temperatures(List.of(0.0))
                .maxNewTokens(16)
                .infillMaxNewTokens(16)
                .warmup(1)
                .warmupMaxNewTokens(4)
                .outputDirectory(reports)
                .runId("unit");
    }

    @Test
    void greedyRunWritesTheReportWithIdenticalOutputsAndEqualLengths(@TempDir Path reports) throws IOException {
        List<ReproductionRun.Progress> progress = new ArrayList<>();
        List<String> infos = new ArrayList<>();
        ReproductionRun.Outcome outcome = ReproductionRun.run(
                small(reports)
                        .decoders(List.of("sdsat", "sdsat-single-pass", "lookup"))
                        .build(),
                new ReproductionRun.Listener() {
                    @Override
                    public void info(String message) {
                        infos.add(message);
                    }

                    @Override
                    public void progress(ReproductionRun.Progress p) {
                        progress.add(p);
                    }
                });

        assertThat(outcome.runDir()).isEqualTo(reports.resolve("unit"));
        assertThat(outcome.indexHtml()).isRegularFile();
        assertThat(outcome.runDir().resolve(ResultFiles.RESULTS_JSON)).isRegularFile();
        assertThat(outcome.runDir().resolve(ResultFiles.RESULTS_CSV)).isRegularFile();
        try (Stream<Path> files = Files.list(outcome.runDir())) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".png"));
        }
        assertThat(Files.readSymbolicLink(reports.resolve(ResultFiles.LATEST))).isEqualTo(Path.of("unit"));

        // 2 datasets x 2 prompts x (baseline + 3 decoders x 2 k) = 28 records; rows per dataset: 1 + 6.
        RunResults results = ResultFiles.read(outcome.runDir());
        assertThat(results.config().get("decoderSpecs"))
                .as("the registry's facts of the run's decoders")
                .isEqualTo(io.github.sdsat.decode.DecoderRegistry.facts(
                        List.of("ar", "sdsat", "sdsat-single-pass", "lookup")));
        assertThat(results.prompts()).hasSize(28);
        assertThat(results.rows()).hasSize(14);
        assertThat(results.rows()).extracting(RowSummary::decoder).contains("lookup");
        for (RowSummary row : results.rows()) {
            assertThat(row.prompts()).isEqualTo(2);
            assertThat(row.identicalToBaseline()).as(row.toString()).isEqualTo(2);
            if (row.isBaseline()) {
                assertThat(row.speedup()).isEqualTo(1.0);
            } else {
                assertThat(row.speedup()).isPositive();
                assertThat(row.acceptRate()).as(row.toString()).isNotNull().isBetween(0.0, 1.0);
            }
            if (row.repeatedAcceptedShare() != null) {
                assertThat(row.repeatedAcceptedShare()).isBetween(0.0, 1.0);
            }
            // every row has a ceiling from the run's own cost curve; the baseline's is 1 by construction
            assertThat(row.ceilingSpeedup()).as(row.toString()).isNotNull().isPositive();
            if (row.isBaseline()) {
                assertThat(row.ceilingSpeedup()).isCloseTo(1.0, within(1e-9));
            }
        }
        Map<Integer, Double> curve = results.environment().costCurveMs();
        assertThat(results.environment().backend()).isNotBlank();
        assertThat(results.environment().costCurveCachedTokens()).isPositive();
        // the weights a pass reads and the bandwidth AR achieved with them, from the AR rows' decode time per token
        assertThat(results.environment().weightBytesPerPass()).isPositive();
        double[] arMsPerToken = results.prompts().stream()
                .filter(p -> p.decoder().equals("ar") && p.newTokens() > 1)
                .mapToDouble(p -> (p.timeMs() - p.prefillMs()) / (p.newTokens() - 1))
                .sorted()
                .toArray();
        assertThat(results.environment().arWeightGBps())
                .isCloseTo(
                        results.environment().weightBytesPerPass()
                                / (io.github.sdsat.results.Aggregator.median(arMsPerToken) / 1e3)
                                / 1e9,
                        org.assertj.core.data.Offset.offset(1e-9));
        Map<String, PromptRecord> baselines = results.prompts().stream()
                .filter(PromptRecord::isBaseline)
                .collect(Collectors.toMap(r -> r.dataset() + "/" + r.taskId(), r -> r));
        for (PromptRecord record : results.prompts()) {
            PromptRecord baseline = baselines.get(record.dataset() + "/" + record.taskId());
            assertThat(record.newTokens()).as("same length as the baseline").isEqualTo(baseline.newTokens());
            assertThat(record.promptTokens()).isEqualTo(baseline.promptTokens());
            assertThat(record.identicalToBaseline()).isTrue();
            assertThat(record.firstMismatch()).isNull();
            assertThat(record.newTokens()).isBetween(1, 16);
            assertThat(record.repeatedAcceptedTokens())
                    .as("measured for every record")
                    .isNotNull()
                    .isBetween(0L, record.acceptedTokens());
            // passes after the prefill, by width: they add up to the counted passes, each width is on the curve
            long[] widths = record.decodePassesByWidth();
            assertThat(java.util.Arrays.stream(widths).sum()).isEqualTo(record.forwardPasses() - 1);
            double modelled = 0;
            for (int w = 1; w < widths.length; w++) {
                if (widths[w] > 0) {
                    assertThat(curve).containsKey(w);
                    modelled += widths[w] * curve.get(w);
                }
            }
            assertThat(record.modelledDecodeMs()).isCloseTo(modelled, within(1e-9));
            assertThat(record.modelledArDecodeMs()).isCloseTo((record.newTokens() - 1) * curve.get(1), within(1e-9));
        }
        assertThat(results.config()).containsEntry("runId", "unit").containsEntry("kList", List.of(1, 2));
        assertThat(results.environment().modelSha()).hasSize(64);
        assertThat(progress).hasSize(4);
        assertThat(progress.get(3).promptsDone()).isEqualTo(4);
        assertThat(progress.get(3).etaSeconds()).isZero();
        assertThat(progress.get(0).describe())
                .contains("[1/4] humaneval HumanEval/0")
                .contains("ETA");
        assertThat(infos).anyMatch(m -> m.startsWith("Warm-up"));
    }

    @Test
    void infillingPromptsFollowSpmOrderAndStopAtEndOfInfill() {
        try (var tokenizer = LoadedModel.openTokenizer(model)) {
            PromptEncoder encoder = new PromptEncoder(tokenizer, List.of(1));
            Task task = Task.infill("t", "infilling", "def f(x):\n", "    return y\n", null);
            long[] ids = encoder.encode(task);
            var s = tokenizer.specials();
            long[] suffix = tokenizer.encode("    return y\n");
            long[] prefix = tokenizer.encode("def f(x):\n");
            List<Long> expected =
                    new ArrayList<>(List.of((long) s.bos(), (long) s.fimPrefix().getAsInt(), (long)
                            s.fimSuffix().getAsInt()));
            for (long id : suffix) {
                expected.add(id);
            }
            expected.add((long) s.fimMiddle().getAsInt());
            for (long id : prefix) {
                expected.add(id);
            }
            assertThat(ids)
                    .containsExactly(
                            expected.stream().mapToLong(Long::longValue).toArray());
            assertThat(encoder.stopTokens(task)).contains(s.fimEndOfInfill().getAsInt(), s.eos());
            assertThat(encoder.stopTokens(Task.completion("c", "d", "x"))).containsExactly(s.eos());
        }
    }

    @Test
    void everyBadParameterIsReportedBeforeAnyWork(@TempDir Path reports) throws IOException {
        Path file = Files.writeString(reports.resolve("a-file"), "not a folder");
        ReproductionConfig config = small(file.resolve("sub"))
                .model(reports.resolve("no-such-model"))
                .kList(List.of(0, 2))
                .decoders(List.of("sdsat", "medusa"))
                .datasets(List.of("humaneval", reports.resolve("missing.jsonl").toString()))
                .build();
        assertThatThrownBy(() -> ReproductionRun.run(config, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("sdsat.kList: k = 0")
                .hasMessageContaining("unknown decoder 'medusa'")
                .hasMessageContaining("missing.jsonl does not exist")
                .hasMessageContaining("sdsat.outputDirectory")
                .hasMessageNotContaining("no-such-model");
    }

    @Test
    void aKTheDecoderCannotServeFailsBeforeAnyGeneration(@TempDir Path reports) {
        ReproductionConfig config = small(reports).kList(List.of(2, 16)).build();
        assertThatThrownBy(() -> ReproductionRun.run(config, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("sdsat with k = 16")
                .hasMessageContaining("sdsat-single-pass with k = 16")
                .hasMessageContaining("1 to 15");
        assertThat(reports.resolve("unit")).doesNotExist();
    }

    /** The context check asks each decoder for its cache slots (Decoder.cacheSlots) before any generation. */
    @Test
    void aPromptThatDoesNotFitTheContextFailsBeforeAnyGeneration(@TempDir Path reports) {
        ReproductionConfig config =
                small(reports).maxNewTokens(TinyModelFolder.MAX_POSITIONS).build();
        assertThatThrownBy(() -> ReproductionRun.run(config, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("new tokens and k up to 2 it needs")
                .hasMessageContaining("positions, more than the model's context of " + TinyModelFolder.MAX_POSITIONS);
        assertThat(reports.resolve("unit")).doesNotExist();
    }

    @Test
    void samplingWithoutASamplingDecoderIsRefused(@TempDir Path reports) {
        ReproductionConfig config = small(reports)
                .temperatures(List.of(0.0, 0.2))
                .samplingDecoders(List.of())
                .build();
        assertThatThrownBy(() -> ReproductionRun.validate(config))
                .hasMessageContaining("sdsat.temperatures [0.2] asks for sampling rows");
    }

    @Test
    void shardsRunDisjointPromptsAndMergeIntoTheWholeRun(@TempDir Path reports) {
        for (int i = 0; i < 2; i++) {
            ReproductionRun.run(
                    small(reports)
                            .datasets(List.of("humaneval"))
                            .decoders(List.of("sdsat"))
                            .kList(List.of(1))
                            .warmup(0)
                            .runId("sharded")
                            .shard(new Shard(i, 2))
                            .build(),
                    null);
        }
        assertThat(reports.resolve("sharded-shard-0-of-2").resolve(ResultFiles.RESULTS_JSON))
                .isRegularFile();
        assertThat(reports.resolve("sharded-shard-1-of-2").resolve(ResultFiles.RESULTS_JSON))
                .isRegularFile();
        assertThat(reports.resolve("sharded")).doesNotExist();

        RunResults merged = ShardFolders.mergeRun(reports, "sharded");
        assertThat(merged.prompts()).extracting(PromptRecord::taskId).containsOnly("HumanEval/0", "HumanEval/1");
        assertThat(merged.prompts()).hasSize(4);
        assertThat(merged.rows())
                .hasSize(2)
                .allSatisfy(row -> assertThat(row.prompts()).isEqualTo(2));
        assertThat(reports.resolve("sharded").resolve(ResultFiles.INDEX_HTML)).isRegularFile();
    }

    /** sdsat.devices: one shard per device, in parallel, merged (two CPU "devices" stand in for two GPUs). */
    @Test
    void devicesRunOneShardEachAndMerge(@TempDir Path reports) {
        RunResults merged = ReproductionRun.runOnDevices(
                small(reports)
                        .datasets(List.of("humaneval"))
                        .decoders(List.of("sdsat"))
                        .kList(List.of(1))
                        .warmup(0)
                        .runId("parallel")
                        .build(),
                List.of("cpu", "cpu"),
                null);
        assertThat(reports.resolve("parallel-shard-0-of-2")).isDirectory();
        assertThat(reports.resolve("parallel-shard-1-of-2")).isDirectory();
        assertThat(merged.prompts()).extracting(PromptRecord::taskId).containsOnly("HumanEval/0", "HumanEval/1");
        assertThat(merged.rows())
                .hasSize(2)
                .allSatisfy(row -> assertThat(row.prompts()).isEqualTo(2));
        assertThat(reports.resolve("parallel").resolve(ResultFiles.INDEX_HTML)).isRegularFile();
    }

    @Test
    void mergeRefusesAMissingShard(@TempDir Path reports) {
        ReproductionRun.run(
                small(reports)
                        .datasets(List.of("humaneval"))
                        .decoders(List.of("sdsat"))
                        .kList(List.of(1))
                        .warmup(0)
                        .runId("partial")
                        .shard(new Shard(1, 2))
                        .build(),
                null);
        assertThatThrownBy(() -> ShardFolders.mergeRun(reports, "partial"))
                .hasMessageContaining("shard(s) [0] are missing");
    }
}
