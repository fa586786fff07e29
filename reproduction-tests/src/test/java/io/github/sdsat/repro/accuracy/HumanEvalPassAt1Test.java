package io.github.sdsat.repro.accuracy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.accuracy.AccuracyConfig;
import io.github.sdsat.bench.ReproductionConfig;
import io.github.sdsat.bench.ReproductionRun;
import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.results.AccuracyGate;
import io.github.sdsat.results.AccuracyRecord;
import io.qameta.allure.Allure;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HumanEval pass@1 as people measure it, on the embedded models: greedy completions of the base and SDSAT models
 * (AR and every greedy SDSAT decoder) run against the problems' tests in the sandbox. The pass@1 table goes into the
 * Allure report; the gate asserted is the accuracy stage's own: every greedy decoder writes exactly AR's completions,
 * and the SDSAT model's pass@1 is not below the base model's by more than the margin. (The 4M-parameter embedded
 * models pass almost nothing, so the pass@1 figures are reported, and the decoder-equality part is what can fail
 * here: a decoder whose output drifts from AR's fails it.)
 */
@Epic("SDSAT reproduction")
@Feature("Accuracy preservation")
class HumanEvalPassAt1Test {
    /** Problems of the gate (the first of the 164): enough to exercise the sandbox, small enough for CI. */
    static final int PROBLEMS = 12;

    @Test
    @DisplayName("HumanEval pass@1 in the sandbox: greedy SDSAT decoders write AR's completions; SDSAT within the"
            + " margin of base")
    void passAt1OfBaseAndSdsatModelsAndEveryGreedyDecoder(@TempDir Path reports) {
        DjlOffline.enable();
        // Every greedy decoder of the build (the README's row), on the models -Dsdsat.model / -Dsdsat.baseModel name.
        List<String> decoders = Matrix.speculativeDecoders();
        ReproductionConfig speed = ReproductionConfig.builder()
                .model(ReproModel.sdsat().folder())
                .device("cpu")
                .datasets(List.of("humaneval"))
                .dataLimit(1.0 / HumanEval.PROBLEM_COUNT)
                .kList(List.of(5))
                .decoders(decoders)
                .temperatures(List.of(0.0))
                .maxNewTokens(8)
                .warmup(0)
                .outputDirectory(reports)
                .runId("pass-at-1")
                .build();
        AccuracyConfig accuracy = new AccuracyConfig(
                ReproModel.base().folder(),
                (double) PROBLEMS / HumanEval.PROBLEM_COUNT,
                64,
                AccuracyConfig.DEFAULT_MARGIN,
                0,
                AccuracyConfig.DEFAULT_SAMPLING_TEMPERATURE,
                "python3",
                Duration.ofSeconds(3),
                2);
        ReproductionRun.Outcome outcome = ReproductionRun.run(speed, accuracy, null);
        List<AccuracyRecord> records = outcome.results().accuracy();
        AccuracyGate gate = outcome.results().accuracyGate();

        StringBuilder table = new StringBuilder("row\tproblems\tpassed\tpass@1\n");
        for (AccuracyRecord r : records) {
            table.append(
                    String.format(Locale.ROOT, "%s\t%d\t%d\t%.4f%n", r.label(), r.problems(), r.passed(), r.passAt1()));
        }
        table.append("\ngate: ")
                .append(gate.passed() ? "passed" : "FAILED")
                .append(" (margin ")
                .append(gate.margin())
                .append(")\n");
        gate.failures().forEach(f -> table.append("failure: ").append(f).append('\n'));
        Allure.addAttachment(
                "HumanEval pass@1 (" + PROBLEMS + " problems, 64 new tokens)",
                "text/tab-separated-values",
                table.toString(),
                ".tsv");

        List<String> labels = new java.util.ArrayList<>();
        labels.add("sdsat/ar T0");
        decoders.forEach(d -> labels.add("sdsat/" + d + " k5 T0"));
        labels.add("base/ar T0");
        assertThat(records).extracting(AccuracyRecord::label).containsExactlyElementsOf(labels);
        assertThat(records).allSatisfy(r -> assertThat(r.problems()).isEqualTo(PROBLEMS));
        assertThat(gate.passed()).as("accuracy gate: %s", gate.failures()).isTrue();
    }
}
