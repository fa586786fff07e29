package io.github.sdsat.gate;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GateResult.Status;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.LineCompletionGate;
import io.github.sdsat.results.LineCompletionMismatch;
import io.github.sdsat.results.LineCompletionModelSummary;
import io.github.sdsat.results.MeasureDiscrimination;
import io.github.sdsat.results.PairedDifference;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.PromptRecordFixtures;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gates' rules on hand-made results: ties pass, unexplained differences fail, uninformative accuracy is no pass. */
class RunGatesTest {
    private static final Environment ENVIRONMENT =
            Environment.detect("cpu()", "float32", null, "/models/x", "ab12", 1234L);

    /** 4 prompts, sdsat k=3; the prompts named in {@code differing} differ from the baseline. */
    private static RunResults run(List<Integer> differing) {
        List<PromptRecord> records = new ArrayList<>();
        for (int task = 0; task < 4; task++) {
            String id = "HumanEval/" + task;
            records.add(PromptRecordFixtures.baseline("humaneval", id, 100, 20));
            records.add(PromptRecordFixtures.greedy(
                    "humaneval", id, "sdsat", 3, 60, 20, 10, 30, 10, 10, !differing.contains(task)));
        }
        return RunResults.of(Map.of("runId", "t"), ENVIRONMENT, records);
    }

    private static GreedyMismatch mismatch(int task, Double margin) {
        return new GreedyMismatch(
                "humaneval",
                "HumanEval/" + task,
                "sdsat",
                3,
                5,
                10,
                11,
                "a",
                "b",
                margin,
                GateSettings.DEFAULT_TIE_MARGIN);
    }

    @Test
    void aTieIsListedButPassesWhileARealMismatchOrAnUnclassifiedDifferenceFails() {
        GateResult tieOnly = RunGates.lossless(
                        run(List.of(1)).withMismatches(List.of(mismatch(1, 2e-5))), GateSettings.defaults())
                .get(0);
        assertThat(tieOnly.status()).isEqualTo(Status.PASSED);
        assertThat(tieOnly.message()).contains("3 of 4 prompts identical", "1 numerical tie(s)", "HumanEval/1");

        GateResult real = RunGates.lossless(
                        run(List.of(1, 2)).withMismatches(List.of(mismatch(1, 2e-5), mismatch(2, 0.5))),
                        GateSettings.defaults())
                .get(0);
        assertThat(real.status()).isEqualTo(Status.FAILED);
        assertThat(real.message()).contains("1 of 4 prompts differ", "HumanEval/2", "real mismatch");
        assertThat(real.figures()).containsEntry("realMismatches", 1).containsEntry("numericalTies", 1);

        // A difference without a classified record (nothing shows it is a tie) counts as real.
        GateResult unclassified =
                RunGates.lossless(run(List.of(3)), GateSettings.defaults()).get(0);
        assertThat(unclassified.status()).isEqualTo(Status.FAILED);
        assertThat(unclassified.message()).contains("without a recorded logit margin");
    }

    private static AccuracyRecord accuracy(String model, double passAt1) {
        return new AccuracyRecord(model, "/m", "ar", 0, 0.0, null, 1, 164, (int) (passAt1 * 164), passAt1, null, null);
    }

    @Test
    void aSpeedupFloorPassesOnItsLowerBoundAndFailsWhenOnePromptGivesNoBound() {
        // run(): 4 prompts, sdsat k=3 at 60 ms against AR's 100 ms on each, so every resample gives 1.667x
        Map<GateSettings.RowKey, Double> floors = Map.of(new GateSettings.RowKey("sdsat", 3), 1.5);
        assertThat(RunGates.speedupFloors(run(List.of()), floors))
                .singleElement()
                .satisfies(g -> {
                    assertThat(g.status()).isEqualTo(Status.PASSED);
                    assertThat(g.message()).contains("lower bound 1.667x", "at least the floor 1.5x");
                });
        assertThat(RunGates.speedupFloors(run(List.of()), Map.of(new GateSettings.RowKey("sdsat", 3), 1.7)))
                .singleElement()
                .satisfies(g -> assertThat(g.status()).isEqualTo(Status.FAILED));

        List<PromptRecord> onePrompt = List.of(
                PromptRecordFixtures.baseline("humaneval", "HumanEval/0", 100, 20),
                PromptRecordFixtures.greedy(
                        "humaneval", "HumanEval/0", "sdsat", 3, 60, 20, 10, 30, 10, 10, Boolean.TRUE));
        assertThat(RunGates.speedupFloors(RunResults.of(Map.of(), ENVIRONMENT, onePrompt), floors))
                .singleElement()
                .satisfies(g -> {
                    assertThat(g.status()).isEqualTo(Status.FAILED);
                    assertThat(g.message()).contains("needs at least 2 prompts", "found 1: raise sdsat.dataLimit");
                });
    }

    @Test
    void humanEvalAtZeroForEveryModelIsUninformativeNotAPass() {
        AccuracyGate passed = new AccuracyGate(0.02, true, List.of(), List.of(), Map.of());
        assertThat(RunGates.humanEval(passed, List.of(accuracy("sdsat", 0), accuracy("base", 0))))
                .satisfies(g -> {
                    assertThat(g.status()).isEqualTo(Status.NOT_ENFORCED);
                    assertThat(g.message()).startsWith("uninformative");
                });
        assertThat(RunGates.humanEval(passed, List.of(accuracy("sdsat", 0.12), accuracy("base", 0.13)))
                        .status())
                .isEqualTo(Status.PASSED);
        AccuracyGate failed =
                new AccuracyGate(0.02, false, List.of("sdsat pass@1 0.05 below base"), List.of(), Map.of());
        assertThat(RunGates.humanEval(failed, List.of(accuracy("sdsat", 0), accuracy("base", 0)))
                        .status())
                .isEqualTo(Status.FAILED);
        assertThat(RunGates.humanEval(null, List.of())).isNull();
    }

    @Test
    void thePairedUpperBoundOfTheMeanIsAbovePlainlyHigherValuesAndBelowPlainlyLowerOnes() {
        double[] falls = {-0.5, -0.45, -0.55, -0.5, -0.48, -0.52};
        assertThat(BaselineComparison.bootstrapUpperBoundOfMean(falls, 0.95, 1)).isBetween(-0.5, -0.45);
        double[] noise = {0.05, -0.04, 0.02, -0.03, 0.01, -0.01};
        assertThat(BaselineComparison.bootstrapUpperBoundOfMean(noise, 0.95, 1)).isGreaterThan(Math.log(0.9));
    }

    private static LineCompletionModelSummary lineModel(String model, double em, double bpb) {
        return new LineCompletionModelSummary(
                model, "/m/" + model, 360, em, em - 0.02, em + 0.02, 0.5, 0.48, 0.52, bpb, bpb - 0.01, bpb + 0.01);
    }

    /** A line-completion verdict: SDSAT model vs base with these exact matches and bits per byte. */
    private static LineCompletionGate lineGate(
            double em, double baseEm, double bpb, double baseBpb, List<LineCompletionMismatch> mismatches) {
        return new LineCompletionGate(
                0.02,
                0.03,
                "rule",
                360,
                List.of(lineModel("sdsat", em, bpb), lineModel("base", baseEm, baseBpb)),
                List.of(
                        new PairedDifference(
                                "exactMatch",
                                "sdsat",
                                "base",
                                360,
                                em,
                                baseEm,
                                em - baseEm,
                                em - baseEm - 0.01,
                                em - baseEm + 0.01,
                                3,
                                4),
                        new PairedDifference(
                                "bitsPerByte",
                                "sdsat",
                                "base",
                                360,
                                bpb,
                                baseBpb,
                                bpb - baseBpb,
                                -0.01,
                                0.01,
                                100,
                                200)),
                List.of(MeasureDiscrimination.of("lineCompletion.exactMatch", em, baseEm)),
                List.of("sdsat k5 on 120 items"),
                mismatches,
                0.04,
                0.95,
                2000,
                true,
                List.of());
    }

    private static Map<String, Status> statuses(List<GateResult> gates) {
        Map<String, Status> byName = new java.util.LinkedHashMap<>();
        gates.forEach(g -> byName.put(g.name(), g.status()));
        return byName;
    }

    @Test
    void lineCompletionGatesFailAWorseModelOrADecoderAndNeverPassAnUninformativeExactMatch() {
        String decoders = "line completion: greedy decoders write ar's line";
        String em = "line completion exact match";
        String bpb = "line completion bits per byte";
        assertThat(statuses(RunGates.lineCompletion(lineGate(0.047, 0.050, 1.133, 1.117, List.of()))))
                .containsEntry(decoders, Status.PASSED)
                .containsEntry(em, Status.PASSED)
                .containsEntry(bpb, Status.PASSED);
        // exact match 0.03 below base: beyond the 0.02 margin
        assertThat(statuses(RunGates.lineCompletion(lineGate(0.020, 0.050, 1.117, 1.117, List.of()))))
                .containsEntry(em, Status.FAILED)
                .containsEntry(bpb, Status.PASSED);
        // +4% bits per byte: beyond the 3% margin, although exact match did not move
        assertThat(statuses(RunGates.lineCompletion(lineGate(0.050, 0.050, 1.1617, 1.117, List.of()))))
                .containsEntry(em, Status.PASSED)
                .containsEntry(bpb, Status.FAILED);
        // one decoder line differs
        List<GateResult> broken = RunGates.lineCompletion(lineGate(
                0.050, 0.050, 1.117, 1.117, List.of(new LineCompletionMismatch("attr/1", "sdsat", 5, "x", "y"))));
        assertThat(statuses(broken)).containsEntry(decoders, Status.FAILED);
        // both at 0: uninformative, not a pass (and a model at 0 vs 0 cannot fail it either)
        GateResult zero = RunGates.lineCompletion(lineGate(0.0, 0.0, 1.117, 1.117, List.of())).stream()
                .filter(g -> g.name().equals(em))
                .findFirst()
                .orElseThrow();
        assertThat(zero.status()).isEqualTo(Status.NOT_ENFORCED);
        assertThat(zero.message()).startsWith("uninformative (both 0)");
    }

    @Test
    void lineCompletionWithoutABaseModelGatesOnlyTheDecoders() {
        LineCompletionGate alone = new LineCompletionGate(
                0.02,
                0.03,
                "rule",
                360,
                List.of(lineModel("sdsat", 0.05, 1.1)),
                List.of(),
                List.of(),
                List.of("sdsat k5 on 120 items"),
                List.of(),
                0.04,
                0.0,
                0,
                true,
                List.of());
        Map<String, Status> gates = statuses(RunGates.lineCompletion(alone));
        assertThat(gates)
                .containsEntry("line completion: greedy decoders write ar's line", Status.PASSED)
                .containsEntry("line completion exact match", Status.NOT_ENFORCED)
                .containsEntry("line completion bits per byte", Status.NOT_ENFORCED);
        assertThat(RunGates.lineCompletion(alone).get(1).message()).contains("set sdsat.baseModel");
    }
}
