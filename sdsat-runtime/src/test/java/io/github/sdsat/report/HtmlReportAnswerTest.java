package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.PromptRecordFixtures;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.SpeedupInterval;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's one-paragraph answer ({@link HtmlReport#answer}): "yes, faster" only beyond the run's noise. */
class HtmlReportAnswerTest {

    private static final double[] AR_MS = {1000, 1100, 1200, 1300};

    /** AR on the prompts of {@code sdsatMs} (the first ones of AR_MS), sdsat k=1 at those times, lookup if given. */
    private static String answer(double[] sdsatMs, double lookupFactor) {
        List<PromptRecord> records = new ArrayList<>();
        for (int p = 0; p < sdsatMs.length; p++) {
            String task = "HumanEval/" + p;
            records.add(PromptRecordFixtures.baseline("humaneval", task, AR_MS[p], 64));
            records.add(PromptRecordFixtures.greedy(
                    "humaneval", task, "sdsat", 1, sdsatMs[p], 64, 50, 50, 14, 25, Boolean.TRUE));
            if (lookupFactor > 0) {
                records.add(PromptRecordFixtures.greedy(
                        "humaneval", task, "lookup", 3, AR_MS[p] * lookupFactor, 64, 30, 90, 34, 30, Boolean.TRUE));
            }
        }
        RunResults results = RunResults.of(Map.of(), SampleRuns.environment(), records);
        return HtmlReport.answer(results.rows(), row -> SpeedupInterval.ofGreedyRow(results, row));
    }

    @Test
    void aSpeedupWhoseLowerBoundIsAboveOneIsAYes() {
        // 1.25x on every prompt: every resample gives 1.25x
        assertThat(answer(new double[] {800, 880, 960, 1040}, 0))
                .startsWith("Yes, faster: the best greedy SDSAT setting, sdsat at k=1, runs at 1.25×")
                .contains("the speedup's one-sided 95 % lower bound over 4 prompts is 1.25×.")
                .doesNotContain("noise")
                .endsWith(
                        "Output identical to greedy autoregressive decoding in all 4 greedy runs (prompt × setting).");
    }

    @Test
    void aSpeedupAboveOneWithinTheNoiseIsNotAYes() {
        // mean 4,600 / 4,550 ms = 1.01x, but two of four prompts are slower than AR
        String answer = answer(new double[] {900, 1200, 1100, 1350}, 0);
        assertThat(answer)
                .startsWith("Not measurably faster: the best greedy SDSAT setting, sdsat at k=1, runs at 1.01×")
                .contains("lower bound over 4 prompts is 0.", ", so the gain is within this run's noise.");
    }

    @Test
    void aSlowerRowIsNotFasterAndLookupIsNamedApart() {
        assertThat(answer(new double[] {1100, 1210, 1320, 1430}, 0.5))
                .startsWith("Not faster: the best greedy SDSAT setting, sdsat at k=1, runs at 0.91×")
                .doesNotContain("noise")
                .contains("Faster still without SAT drafts: lookup at k=3 runs at 2.00×")
                .contains("in all 8 greedy runs");
    }

    @Test
    void onePromptGivesNoBoundAndSaysSo() {
        assertThat(answer(new double[] {800}, 0))
                .startsWith("Faster on the one prompt measured, without a confidence bound (that needs 2 prompts or"
                        + " more): the best greedy SDSAT setting, sdsat at k=1, runs at 1.25×")
                .doesNotContain("lower bound over");
    }
}
