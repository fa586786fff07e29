package io.github.sdsat.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class EngineSummaryTest {
    private static final long MS = 1_000_000L;

    @Test
    void decodeLeavesThePrefillTokenOutAndEndToEndUsesTheWallTime() {
        // 11 tokens: 1 from the prefill (10 ms), 10 decoded in 100 ms; the call took 120 ms in all.
        EngineSummary s =
                EngineSummary.of("x", "2", List.of(new EngineSummary.Timing(11, 10 * MS, 100 * MS, 120 * MS)));
        assertThat(s.decodeMedian()).isCloseTo(100, within(1e-9));
        assertThat(s.decodeTotal()).isCloseTo(100, within(1e-9));
        assertThat(s.endToEndMedian()).isCloseTo(11 / 0.12, within(1e-9));
        assertThat(s.prefillMsMedian()).isCloseTo(10, within(1e-9));
        assertThat(s.newTokens()).isEqualTo(11);
    }

    @Test
    void medianPerPromptAndTotalOverAllPromptsDiffer() {
        List<EngineSummary.Timing> runs = List.of(
                new EngineSummary.Timing(11, MS, 100 * MS, 101 * MS), // decode 100 tok/s
                new EngineSummary.Timing(11, MS, 50 * MS, 51 * MS), // 200 tok/s
                new EngineSummary.Timing(11, MS, 1000 * MS, 1001 * MS)); // 10 tok/s: an outlier
        EngineSummary s = EngineSummary.of("x", "2", runs);
        assertThat(s.decodeMedian()).isCloseTo(100, within(1e-9));
        assertThat(s.decodeTotal()).isCloseTo(30 / 1.15, within(1e-9));
        assertThat(s.prompts()).isEqualTo(3);
    }

    @Test
    void evenCountMedianIsTheMeanOfTheMiddleTwo() {
        // prefill times 4, 1, 3 and 2 ms: the median prefill is (2 + 3) / 2
        List<EngineSummary.Timing> runs = List.of(
                new EngineSummary.Timing(11, 4 * MS, 100 * MS, 110 * MS),
                new EngineSummary.Timing(11, MS, 100 * MS, 110 * MS),
                new EngineSummary.Timing(11, 3 * MS, 100 * MS, 110 * MS),
                new EngineSummary.Timing(11, 2 * MS, 100 * MS, 110 * MS));
        assertThat(EngineSummary.of("x", "2", runs).prefillMsMedian()).isCloseTo(2.5, within(1e-12));
    }

    @Test
    void firstDifferenceIsTheFirstMismatchingIndex() {
        assertThat(ComparisonReport.firstDifference(new long[] {1, 2, 3}, new long[] {1, 2, 3}))
                .isEqualTo(-1);
        assertThat(ComparisonReport.firstDifference(new long[] {1, 2, 3}, new long[] {1, 5, 3}))
                .isEqualTo(1);
        assertThat(ComparisonReport.firstDifference(new long[] {1, 2}, new long[] {1, 2, 3}))
                .isEqualTo(2);
    }
}
