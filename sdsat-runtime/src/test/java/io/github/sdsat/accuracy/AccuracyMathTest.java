package io.github.sdsat.accuracy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.results.AccuracyComparison;
import io.github.sdsat.results.AccuracyRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stop-sequence cut, the pass@k estimator and the paired comparison, without Python or a model. */
class AccuracyMathTest {
    @Test
    void completionsAreCutAtTheFirstTopLevelStopLine() {
        String body = "    x = 1\n    # a comment inside the body stays\n    return x\n";
        assertThat(Completions.truncate(body + "\ndef other():\n    pass\n")).isEqualTo(body + "\n");
        assertThat(Completions.truncate(body + "class A:\n")).isEqualTo(body);
        assertThat(Completions.truncate(body + "if __name__ == '__main__':\n")).isEqualTo(body);
        assertThat(Completions.truncate(body + "print(f(1))\n")).isEqualTo(body);
        assertThat(Completions.truncate(body + "# trailing\n")).isEqualTo(body);
        assertThat(Completions.truncate("def at_start():\n")).isEmpty();
        // Indented stop words and other top-level code are not stop lines.
        assertThat(Completions.truncate(body + "    def inner():\nassert True\n"))
                .isEqualTo(body + "    def inner():\nassert True\n");
        HumanEval.Problem problem = HumanEval.problems().get(0);
        assertThat(Completions.program(problem, "    return True\ndef x(): pass\n"))
                .isEqualTo(problem.prompt() + "    return True\n\n\n" + problem.test() + "\n\ncheck("
                        + problem.entryPoint() + ")\n");
    }

    @Test
    void passAtKIsTheUnbiasedEstimator() {
        assertThat(PassAtK.estimate(1, 1, 1)).isEqualTo(1.0);
        assertThat(PassAtK.estimate(1, 0, 1)).isEqualTo(0.0);
        // pass@1 is c / n.
        assertThat(PassAtK.estimate(10, 3, 1)).isCloseTo(0.3, within(1e-12));
        // 1 - C(7, 2) / C(10, 2) = 1 - 21 / 45
        assertThat(PassAtK.estimate(10, 3, 2)).isCloseTo(1 - 21.0 / 45.0, within(1e-12));
        assertThat(PassAtK.estimate(10, 8, 5)).isEqualTo(1.0);
        // Large n does not overflow: 1 - C(150, 100) / C(200, 100) by the product form, checked in logarithms.
        double logRatio = 0;
        for (int i = 0; i < 100; i++) {
            logRatio += Math.log(150 - i) - Math.log(200 - i);
        }
        assertThat(PassAtK.estimate(200, 50, 100)).isCloseTo(1 - Math.exp(logRatio), within(1e-12));
        assertThat(PassAtK.mean(4, new int[] {0, 4, 2}, 1)).isCloseTo(0.5, within(1e-12));
        assertThatThrownBy(() -> PassAtK.estimate(5, 6, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("c = 6");
    }

    @Test
    void thePairedDifferenceHasANormalConfidenceInterval() {
        // Row passes problems 0-3, baseline 2-5 of 8: difference 0, two better, two worse.
        AccuracyVerdict.RowOutcome row = outcome("sdsat", new int[] {1, 1, 1, 1, 0, 0, 0, 0});
        AccuracyVerdict.RowOutcome base = outcome("base", new int[] {0, 0, 1, 1, 1, 1, 0, 0});
        AccuracyComparison comparison = AccuracyVerdict.compare(row, base);
        assertThat(comparison.difference()).isEqualTo(0.0);
        assertThat(comparison.better()).isEqualTo(2);
        assertThat(comparison.worse()).isEqualTo(2);
        // Differences +1, +1, -1, -1 and four 0: sample variance 4/7, standard error sqrt(4/7/8).
        double halfWidth = AccuracyVerdict.Z_95 * Math.sqrt(4.0 / 7 / 8);
        assertThat(comparison.ciLow()).isCloseTo(-halfWidth, within(1e-12));
        assertThat(comparison.ciHigh()).isCloseTo(halfWidth, within(1e-12));
    }

    @Test
    void theGateFailsOnADifferentGreedyCompletionAndOnADropBeyondTheMargin() {
        List<HumanEval.Problem> problems = HumanEval.problems().subList(0, 4);
        AccuracyConfig config =
                new AccuracyConfig(null, 1.0, 16, 0.25, 0, 0.2, "python3", java.time.Duration.ofSeconds(3), 2);
        AccuracyStage stage = new AccuracyStage(config, null, problems, List.of(), List.of(), 0L);
        AccuracyVerdict.RowOutcome ar = new AccuracyVerdict.RowOutcome(
                record("sdsat", "ar", 0, 1, 4), new int[] {1, 0, 0, 0}, List.of("a", "b", "c", "d"));
        AccuracyVerdict.RowOutcome sameText = new AccuracyVerdict.RowOutcome(
                record("sdsat", "sdsat", 3, 1, 4), new int[] {1, 0, 0, 0}, List.of("a", "b", "c", "d"));
        AccuracyVerdict.RowOutcome otherText = new AccuracyVerdict.RowOutcome(
                record("sdsat", "lookup", 3, 1, 4), new int[] {1, 0, 0, 0}, List.of("a", "b", "X", "d"));
        AccuracyVerdict.RowOutcome base = new AccuracyVerdict.RowOutcome(
                record("base", "ar", 0, 3, 4), new int[] {1, 1, 1, 0}, List.of("a", "e", "f", "d"));
        assertThat(stage.gate(List.of(ar, sameText)).passed()).isTrue();
        var failed = stage.gate(List.of(ar, sameText, otherText, base));
        assertThat(failed.passed()).isFalse();
        assertThat(failed.failures()).hasSize(2);
        assertThat(failed.failures().get(0))
                .contains("sdsat/lookup k3 T0")
                .contains(problems.get(2).taskId());
        assertThat(failed.failures().get(1)).contains("0.5000 below").contains("sdsat.accuracyMargin");
    }

    private static AccuracyRecord record(String model, String decoder, int k, int passed, int problems) {
        return new AccuracyRecord(
                model,
                "/m",
                decoder,
                k,
                0.0,
                null,
                1,
                problems,
                passed,
                (double) passed / problems,
                Map.of(1, (double) passed / problems),
                List.of());
    }

    private static AccuracyVerdict.RowOutcome outcome(String model, int[] passes) {
        int passed = java.util.Arrays.stream(passes).sum();
        double passAt1 = (double) passed / passes.length;
        return new AccuracyVerdict.RowOutcome(
                new AccuracyRecord(
                        model,
                        "/m",
                        "ar",
                        0,
                        0.0,
                        null,
                        1,
                        passes.length,
                        passed,
                        passAt1,
                        Map.of(1, passAt1),
                        List.of()),
                passes,
                null);
    }
}
