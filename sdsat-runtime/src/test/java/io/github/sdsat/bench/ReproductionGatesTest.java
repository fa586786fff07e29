package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.accuracy.LineCompletionConfig;
import io.github.sdsat.accuracy.LineCompletionRun;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.gate.GateFailures;
import io.github.sdsat.gate.GateSettings;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.report.GateReports;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GateResult.Status;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.RunResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * The gates of {@code sdsat:reproduce} end to end on a random-weight tiny model: each gate passes on a correct run
 * and fails on a broken decoder, an impossible floor or a pinned run this one is worse than; the report is written
 * before the verdict, and the JUnit XML counts the same failures.
 */
class ReproductionGatesTest {
    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void model() {
        DjlOffline.enable();
        model = TinyModelFolder.write(shared.resolve("tiny"), 7);
    }

    private static ReproductionConfig.Builder small(Path reports) {
        return ReproductionRunTest.small(reports).model(model);
    }

    /** Replaces {@code sdsat}'s output with one whose third token is another id: a decoder that is not lossless. */
    private static UnaryOperator<Map<String, Decoder>> brokenSdsat() {
        return decoders -> {
            Map<String, Decoder> replaced = new LinkedHashMap<>(decoders);
            Decoder real = decoders.get("sdsat");
            replaced.put("sdsat", new Decoder() {
                @Override
                public String name() {
                    return real.name();
                }

                @Override
                public GenerationResult generate(long[] promptIds, GenerationConfig config) {
                    GenerationResult result = real.generate(promptIds, config);
                    long[] ids = result.outputIds().clone();
                    if (ids.length > 2) {
                        ids[2] = (ids[2] + 1) % 300;
                    }
                    return new GenerationResult(
                            result.promptIds(), ids, result.stats(), result.stopReason(), result.fromDraft());
                }

                @Override
                public int cacheSlots(int promptTokens, GenerationConfig config) {
                    return real.cacheSlots(promptTokens, config);
                }
            });
            return replaced;
        };
    }

    private static GateSettings settings(boolean failOnMismatch, String minSpeedup, String minTokensPerForward) {
        GateSettings d = GateSettings.defaults();
        return new GateSettings(
                failOnMismatch,
                d.tieMargin(),
                GateSettings.parseFloors("sdsat.gate.minSpeedup", minSpeedup),
                GateSettings.parseFloors("sdsat.gate.minTokensPerForward", minTokensPerForward),
                null,
                d.countTolerance(),
                d.speedupTolerance(),
                d.alpha());
    }

    private static List<GateResult> group(RunResults results, String group) {
        return results.gates().stream().filter(g -> g.group().equals(group)).toList();
    }

    private static Document junit(Path runDir) throws Exception {
        Path xml = runDir.resolve(GateReports.JUNIT_XML);
        assertThat(xml).isRegularFile();
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
    }

    @Test
    void aBrokenDecoderFailsTheLosslessGateNamingPromptPositionAndMarginAfterTheReportIsWritten(@TempDir Path reports)
            throws Exception {
        ReproductionRun.Outcome outcome = ReproductionRun.runWithDecoders(
                small(reports).gates(settings(true, null, null)).build(), brokenSdsat(), null);
        RunResults results = ResultFiles.read(outcome.runDir());

        List<GateResult> lossless = group(results, "lossless");
        // 2 datasets x (sdsat, sdsat-single-pass) x k {1, 2}
        assertThat(lossless).hasSize(8);
        assertThat(lossless.stream().filter(g -> g.name().contains(" sdsat k=")))
                .hasSize(4)
                .allMatch(g -> g.status() == Status.FAILED);
        assertThat(lossless.stream().filter(g -> g.name().contains("sdsat-single-pass")))
                .allMatch(g -> g.status() == Status.PASSED);
        // Every differing prompt classified with the margin measured by an independent plain pass.
        assertThat(results.mismatches()).hasSize(8).allSatisfy(m -> {
            assertThat(m.decoder()).isEqualTo("sdsat");
            assertThat(m.position()).isEqualTo(2);
            assertThat(m.logitMargin()).isNotNull();
            assertThat(m.tie()).as(m.describe()).isFalse();
        });
        assertThat(lossless.get(0).message()).contains("HumanEval/0", "position 2", "logit margin", "real mismatch");

        // The report came first: the page and the JUnit XML show the failures the build then fails with.
        assertThat(Files.readString(outcome.indexHtml())).contains("gates failed", "FAILED");
        Document xml = junit(outcome.runDir());
        assertThat(xml.getDocumentElement().getAttribute("failures")).isEqualTo("4");
        assertThat(xml.getElementsByTagName("failure").getLength()).isEqualTo(4);
        try (Stream<Path> allure = Files.list(outcome.runDir().resolve(GateReports.ALLURE_FOLDER))) {
            assertThat(allure.filter(p -> p.toString().endsWith("-result.json")))
                    .hasSize(results.gates().size());
        }
        assertThatThrownBy(() -> GateFailures.requireNone(results))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("4 of " + results.gates().size() + " gates failed")
                .hasMessageContaining("lossless: humaneval sdsat k=1");
    }

    @Test
    void failOnMismatchFalseOnlyReportsTheMismatch(@TempDir Path reports) throws Exception {
        ReproductionRun.Outcome outcome = ReproductionRun.runWithDecoders(
                small(reports)
                        .kList(List.of(1))
                        .decoders(List.of("sdsat"))
                        .gates(settings(false, null, null))
                        .build(),
                brokenSdsat(),
                null);
        RunResults results = outcome.results();
        assertThat(group(results, "lossless"))
                .hasSize(2)
                .allSatisfy(g -> assertThat(g.status()).isEqualTo(Status.NOT_ENFORCED));
        GateFailures.requireNone(results);
        assertThat(junit(outcome.runDir()).getElementsByTagName("skipped").getLength())
                .isEqualTo(2);
    }

    @Test
    void floorsFailWhenTheRowIsBelowThemAndPassWhenAbove(@TempDir Path reports) {
        RunResults results = ReproductionRun.run(
                        small(reports)
                                .gates(settings(true, "sdsat:1=50,sdsat:2=0.01", "sdsat-single-pass:1=2.5,sdsat:1=1"))
                                .build(),
                        null)
                .results();
        assertThat(group(results, "lossless")).allMatch(g -> g.status() == Status.PASSED);
        List<GateResult> speed = group(results, "minSpeedup");
        assertThat(speed).hasSize(4);
        // No decoder on 2 prompts of 16 tokens is 50x faster than AR; every one is faster than 0.01x.
        assertThat(speed.stream().filter(g -> g.name().contains("k=1"))).allSatisfy(g -> {
            assertThat(g.status()).isEqualTo(Status.FAILED);
            assertThat(g.message()).contains("lower bound", "below the floor 50.0x");
        });
        assertThat(speed.stream().filter(g -> g.name().contains("k=2"))).allMatch(g -> g.status() == Status.PASSED);
        List<GateResult> tokens = group(results, "minTokensPerForward");
        // At k = 1 a pass yields at most 2 tokens; every pass yields at least 1.
        assertThat(tokens.stream().filter(g -> g.name().contains("sdsat-single-pass")))
                .hasSize(2)
                .allMatch(g -> g.status() == Status.FAILED);
        assertThat(tokens.stream()
                        .filter(g -> g.name().startsWith("humaneval sdsat k=1")
                                || g.name().startsWith("infilling sdsat k=1")))
                .hasSize(2)
                .allMatch(g -> g.status() == Status.PASSED);
    }

    @Test
    void aFloorNamingARowTheRunDoesNotMeasureIsRefusedBeforeAnyWork(@TempDir Path reports) {
        assertThatThrownBy(() -> ReproductionRun.run(
                        small(reports)
                                .gates(settings(true, "sdsat:7=1.2", "medusa:1=1.5"))
                                .build(),
                        null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("sdsat.gate.minSpeedup names sdsat:7, but the run has no greedy row sdsat k=7")
                .hasMessageContaining("sdsat.gate.minTokensPerForward names medusa:1");
        assertThat(reports.resolve("unit")).doesNotExist();
        assertThatThrownBy(() -> GateSettings.parseFloors("sdsat.gate.minSpeedup", "sdsat=1.5,lookup:x=2"))
                .hasMessageContaining("'sdsat=1.5' is not of the form decoder:k=value")
                .hasMessageContaining("'lookup:x=2': k must be an integer");
    }

    @Test
    void aPinnedRunThisRunIsWorseThanFailsTheBaselineGatesAndAMismatchedOneIsRefused(@TempDir Path reports)
            throws IOException {
        ReproductionConfig.Builder config =
                small(reports).decoders(List.of("sdsat")).kList(List.of(1, 2));
        Path pinnedDir =
                ReproductionRun.run(config.runId("pinned").build(), null).runDir();

        // The same run pinned: every count identical, the speedup within tolerance (a generous one: 2-prompt timings
        // of a tiny model are noisy), nothing vanished.
        RunResults same = ReproductionRun.run(
                        config.runId("same").gates(baseline(pinnedDir, 0.9)).build(), null)
                .results();
        assertThat(group(same, "baseline"))
                .isNotEmpty()
                .allSatisfy(g -> assertThat(g.status())
                        .as(g.title() + ": " + g.message())
                        .isEqualTo(Status.PASSED));

        // A pinned run with 1.5x the tokens per forward and 20x the speedup: this run regressed on both.
        Path better = doctor(pinnedDir, reports.resolve("better"), 1.5, 20.0, false);
        RunResults worse = ReproductionRun.run(
                        config.runId("worse").gates(baseline(better, 0.10)).build(), null)
                .results();
        List<GateResult> gates = group(worse, "baseline");
        assertThat(gates.stream().filter(g -> g.name().endsWith("counts")))
                .hasSize(4)
                .allSatisfy(g -> {
                    assertThat(g.status()).isEqualTo(Status.FAILED);
                    assertThat(g.message()).contains("tokens per forward", "below the pinned run");
                });
        assertThat(gates.stream().filter(g -> g.name().endsWith("speedup")))
                .hasSize(4)
                .allSatisfy(g -> assertThat(g.status()).isEqualTo(Status.FAILED));

        // A pinned row this run lacks is reported, not enforced.
        RunResults narrowed = ReproductionRun.run(
                        config.runId("narrowed")
                                .kList(List.of(1))
                                .gates(baseline(pinnedDir, 0.9))
                                .build(),
                        null)
                .results();
        assertThat(group(narrowed, "baseline").stream().filter(g -> g.name().endsWith("vanished")))
                .hasSize(2)
                .allMatch(g -> g.status() == Status.NOT_ENFORCED);

        // A pinned run of another configuration or another model: refused before any work.
        assertThatThrownBy(() -> ReproductionRun.run(
                        config.runId("other")
                                .kList(List.of(1, 2))
                                .maxNewTokens(12)
                                .gates(baseline(pinnedDir, 0.1))
                                .build(),
                        null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("cannot be compared with this run: maxNewTokens is 16.0 there and 12.0 here");
        Path otherModel = doctor(pinnedDir, reports.resolve("other-model"), 1.0, 1.0, true);
        assertThatThrownBy(() -> ReproductionRun.run(
                        config.runId("other")
                                .maxNewTokens(16)
                                .gates(baseline(otherModel, 0.1))
                                .build(),
                        null))
                .hasMessageContaining("the weights differ")
                .hasMessageContaining("another model");
        assertThat(reports.resolve("other")).doesNotExist();
    }

    private static GateSettings baseline(Path pinned, double speedupTolerance) {
        GateSettings d = GateSettings.defaults();
        return new GateSettings(
                true,
                d.tieMargin(),
                Map.of(),
                Map.of(),
                pinned.resolve(ResultFiles.RESULTS_JSON),
                d.countTolerance(),
                speedupTolerance,
                d.alpha());
    }

    /**
     * A copy of a pinned run whose rows claim {@code countFactor} x the tokens per forward and accepted drafts per
     * loop and whose method timings are {@code speedupFactor} x shorter (or whose weights' checksum differs).
     */
    private static Path doctor(Path runDir, Path out, double countFactor, double speedupFactor, boolean otherModel)
            throws IOException {
        ObjectMapper mapper = ResultFiles.mapper();
        ObjectNode json = (ObjectNode)
                mapper.readTree(runDir.resolve(ResultFiles.RESULTS_JSON).toFile());
        for (var row : (ArrayNode) json.get("rows")) {
            ObjectNode r = (ObjectNode) row;
            if (!r.get("decoder").asText().equals("ar")) {
                r.put("tokensPerForward", r.get("tokensPerForward").asDouble() * countFactor);
                r.put("meanAcceptedPerLoop", r.get("meanAcceptedPerLoop").asDouble() * countFactor);
            }
        }
        for (var prompt : (ArrayNode) json.get("prompts")) {
            ObjectNode p = (ObjectNode) prompt;
            if (!p.get("decoder").asText().equals("ar")) {
                p.put("timeMs", p.get("timeMs").asDouble() / speedupFactor);
            }
        }
        if (otherModel) {
            ((ObjectNode) json.get("environment")).put("modelSha", "0".repeat(64));
        }
        Files.createDirectories(out);
        mapper.writeValue(out.resolve(ResultFiles.RESULTS_JSON).toFile(), json);
        return out;
    }

    /** The line-completion stage on 7 lines, sdsat k=2 checked on all of them, bits per byte at margin 0. */
    private static RunResults withLineCompletion(Path reports, Path sdsatModel, Path baseModel) {
        LineCompletionConfig lines = LineCompletionConfig.defaults()
                .withItemFraction(0.02)
                .withDecoderItemFraction(1.0)
                .withDecoders(List.of("sdsat"), 2);
        lines = new LineCompletionConfig(
                lines.itemFraction(),
                8,
                lines.margin(),
                0.0,
                lines.degradation(),
                lines.seed(),
                lines.decoders(),
                lines.k(),
                lines.decoderItemFraction(),
                200);
        return ReproductionRun.run(
                        small(reports).model(sdsatModel).build(),
                        null,
                        LineCompletionRun.forModel(lines, sdsatModel, baseModel),
                        null)
                .results();
    }

    @Test
    void theLineCompletionStageGatesTheRunAndTheWorseOfTwoModelsFailsItsBitsPerByteGate(@TempDir Path reports)
            throws IOException {
        Path other = TinyModelFolder.write(shared.resolve("tiny-8"), 8);
        RunResults sevenOverEight = withLineCompletion(reports.resolve("a"), model, other);
        RunResults eightOverSeven = withLineCompletion(reports.resolve("b"), other, model);
        for (RunResults results : List.of(sevenOverEight, eightOverSeven)) {
            assertThat(results.lineCompletionGate().items()).isEqualTo(7);
            assertThat(results.gates())
                    .filteredOn(g -> g.name().equals("line completion: greedy decoders write ar's line"))
                    .singleElement()
                    .extracting(GateResult::status)
                    .isEqualTo(Status.PASSED);
        }
        // With a bits-per-byte margin of 0 exactly the model with more held-out loss fails against the other.
        double seven = sevenOverEight.lineCompletionGate().models().get(0).bitsPerByte();
        double eight = eightOverSeven.lineCompletionGate().models().get(0).bitsPerByte();
        assertThat(seven).isNotEqualTo(eight);
        RunResults worse = seven > eight ? sevenOverEight : eightOverSeven;
        RunResults better = seven > eight ? eightOverSeven : sevenOverEight;
        assertThat(worse.failedGates()).extracting(GateResult::name).containsExactly("line completion bits per byte");
        assertThat(better.failedGates()).isEmpty();
        assertThatThrownBy(() -> GateFailures.requireNone(worse)).hasMessageContaining("line completion bits per byte");
        assertThat(Files.readString(reports.resolve("a").resolve("unit").resolve("index.html")))
                .contains("Line completion (held-out Python)");
    }

    @Test
    void greedyMismatchTellsATieFromARealMismatchByItsMargin() {
        GreedyMismatch tie =
                new GreedyMismatch("humaneval", "HumanEval/3", "sdsat", 3, 7, 10, 11, "a", "b", 3e-5, 1e-4);
        GreedyMismatch real =
                new GreedyMismatch("humaneval", "HumanEval/3", "sdsat", 3, 7, 10, 11, "a", "b", 0.2, 1e-4);
        GreedyMismatch stopped =
                new GreedyMismatch("humaneval", "HumanEval/3", "sdsat", 3, 7, 10, -1, "a", "", null, 1e-4);
        assertThat(tie.tie()).isTrue();
        assertThat(tie.describe()).contains("numerical tie");
        assertThat(real.tie()).isFalse();
        assertThat(real.describe()).contains("real mismatch", "2.000e-01");
        assertThat(stopped.tie()).isFalse();
        assertThat(stopped.describe()).contains("the decoder stopped", "stop or length rule");
    }
}
