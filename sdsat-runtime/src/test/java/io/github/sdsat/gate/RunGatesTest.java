package io.github.sdsat.gate;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GateResult.Status;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.Records;
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
            records.add(Records.baseline("humaneval", id, 100, 20));
            records.add(Records.greedy("humaneval", id, "sdsat", 3, 60, 20, 10, 30, 10, 10, !differing.contains(task)));
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
}
