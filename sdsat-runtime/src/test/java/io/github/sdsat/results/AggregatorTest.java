package io.github.sdsat.results;

import static io.github.sdsat.results.PromptRecordFixtures.baseline;
import static io.github.sdsat.results.PromptRecordFixtures.greedy;
import static io.github.sdsat.results.PromptRecordFixtures.sampled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregatorTest {

    private static final double EPS = 1e-9;

    @Test
    void baselineIsOneAndHalfTheTimeIsTwo() {
        List<PromptRecord> records = List.of(
                baseline("humaneval", "t0", 100, 50),
                baseline("humaneval", "t1", 300, 50),
                greedy("humaneval", "t0", "sdsat", 5, 50, 50, 20, 100, 30, 10, true),
                greedy("humaneval", "t1", "sdsat", 5, 150, 50, 30, 100, 10, 20, false));
        List<RowSummary> rows = Aggregator.summarise(records);
        assertThat(rows).hasSize(2);

        RowSummary base = rows.get(0);
        assertThat(base.decoder()).isEqualTo("ar");
        assertThat(base.k()).isZero();
        assertThat(base.prompts()).isEqualTo(2);
        assertThat(base.speedup()).isEqualTo(1.0);
        assertThat(base.medianSpeedup()).isEqualTo(1.0);
        assertThat(base.meanTimeMs()).isCloseTo(200, within(EPS));
        assertThat(base.tokensPerForward()).isCloseTo(1.0, within(EPS));
        assertThat(base.acceptRate()).isNull();
        assertThat(base.meanAcceptedPerLoop()).isNull();
        assertThat(base.identicalToBaseline()).isEqualTo(2);
        // 100 tokens in 0.4 s.
        assertThat(base.tokensPerSecond()).isCloseTo(250, within(EPS));

        RowSummary sdsat = rows.get(1);
        assertThat(sdsat.decoder()).isEqualTo("sdsat");
        assertThat(sdsat.k()).isEqualTo(5);
        assertThat(sdsat.meanTimeMs()).isCloseTo(100, within(EPS));
        assertThat(sdsat.medianTimeMs()).isCloseTo(100, within(EPS));
        assertThat(sdsat.speedup()).isCloseTo(2.0, within(EPS));
        assertThat(sdsat.medianSpeedup()).isCloseTo(2.0, within(EPS));
        assertThat(sdsat.tokensPerForward()).isCloseTo(100.0 / 50, within(EPS));
        assertThat(sdsat.acceptRate()).isCloseTo(40.0 / 200, within(EPS));
        assertThat(sdsat.meanAcceptedPerLoop()).isCloseTo(40.0 / 30, within(EPS));
        assertThat(sdsat.tokensPerSecond()).isCloseTo(100 / 0.2, within(EPS));
        assertThat(sdsat.identicalToBaseline()).isEqualTo(1);
        assertThat(sdsat.sampling()).isNull();
    }

    @Test
    void repeatedShareCountsOnlyRecordsThatMeasuredIt() {
        List<PromptRecord> records = List.of(
                baseline("humaneval", "t0", 100, 50),
                baseline("humaneval", "t1", 100, 50),
                baseline("humaneval", "t2", 100, 50),
                PromptRecordFixtures.withRepeats(baseline("humaneval", "t3", 100, 50), 0L),
                PromptRecordFixtures.withRepeats(
                        greedy("humaneval", "t0", "lookup", 3, 50, 50, 20, 60, 30, 19, true), 24L),
                PromptRecordFixtures.withRepeats(
                        greedy("humaneval", "t1", "lookup", 3, 50, 50, 20, 60, 10, 19, true), 1L),
                // written before the field existed: its 40 accepted drafts stay out of the denominator
                greedy("humaneval", "t2", "lookup", 3, 50, 50, 20, 60, 40, 19, true),
                PromptRecordFixtures.withRepeats(
                        greedy("humaneval", "t0", "sdsat", 5, 50, 50, 20, 60, 0, 19, true), 0L),
                greedy("humaneval", "t0", "sdsat", 1, 50, 50, 20, 60, 10, 19, true));
        List<RowSummary> rows = Aggregator.summarise(records);
        assertThat(rows)
                .extracting(RowSummary::decoder, RowSummary::k)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("ar", 0),
                        org.assertj.core.groups.Tuple.tuple("lookup", 3),
                        org.assertj.core.groups.Tuple.tuple("sdsat", 1),
                        org.assertj.core.groups.Tuple.tuple("sdsat", 5));
        assertThat(rows.get(0).repeatedAcceptedShare()).as("ar accepts nothing").isNull();
        assertThat(rows.get(1).repeatedAcceptedShare()).isCloseTo(25.0 / 40, within(EPS));
        assertThat(rows.get(2).repeatedAcceptedShare()).as("not measured").isNull();
        assertThat(rows.get(3).repeatedAcceptedShare()).as("nothing accepted").isNull();
        assertThatThrownBy(() -> PromptRecordFixtures.withRepeats(
                        greedy("humaneval", "t0", "lookup", 3, 50, 50, 20, 60, 10, 19, true), 11L))
                .hasMessageContaining("repeatedAcceptedTokens 11 must be between 0 and acceptedTokens 10");
    }

    @Test
    void ceilingIsModelledArOverModelledPassesWithTheMeasuredPrefill() {
        // T(1) = 1 ms, T(4) = 1.5 ms. A 9-token generation: ar = 8 passes of 1; the method = 2 passes of 4 tokens.
        Map<Integer, Double> curve = Map.of(1, 1.0, 4, 1.5);
        PromptRecord ar =
                withWidths(baseline("d", "t0", 100, 9), new long[] {0, 8}).withModelledTimes(curve);
        PromptRecord method = withWidths(
                        PromptRecordFixtures.greedy("d", "t0", "lookup", 3, 50, 9, 3, 6, 6, 2, true),
                        new long[] {0, 0, 0, 0, 2})
                .withModelledTimes(curve);
        assertThat(method.modelledDecodeMs()).isEqualTo(3.0);
        assertThat(method.modelledArDecodeMs()).isEqualTo(8.0);
        List<RowSummary> rows = Aggregator.summarise(List.of(ar, method));
        // prefill is timeMs / 10 in these records: ar 10 ms, the method 5 ms
        assertThat(rows.get(0).ceilingSpeedup()).isEqualTo(1.0);
        assertThat(rows.get(1).ceilingSpeedup()).isCloseTo((5 + 8.0) / (5 + 3.0), within(1e-12));
        assertThat(rows.get(1).shareOfCeiling()).isCloseTo(2.0 / (13.0 / 8.0), within(1e-12));
        // a record without modelled times leaves the row without a ceiling rather than a partial one
        List<RowSummary> partial = Aggregator.summarise(List.of(
                ar,
                method,
                PromptRecordFixtures.greedy("d", "t1", "lookup", 3, 50, 9, 3, 6, 6, 2, true),
                baseline("d", "t1", 100, 9)));
        assertThat(partial.get(1).ceilingSpeedup()).isNull();
        assertThatThrownBy(() -> withWidths(ar, new long[] {0, 0, 7}).withModelledTimes(curve))
                .hasMessageContaining("no pass of 2 tokens");
    }

    private static PromptRecord withWidths(PromptRecord r, long[] widths) {
        return io.github.sdsat.Records.copyWith(r, java.util.Map.of("decodePassesByWidth", widths));
    }

    @Test
    void speedupUsesOnlyThePromptsTheRowShares() {
        List<PromptRecord> records = List.of(
                baseline("humaneval", "t0", 100, 10),
                baseline("humaneval", "t1", 100, 10),
                baseline("humaneval", "t2", 1000, 10),
                // The row lacks t2, the slow baseline prompt: comparing with the full baseline mean (400) would claim
                // 8x.
                greedy("humaneval", "t0", "sdsat", 3, 50, 10, 5, 10, 5, 5, true),
                greedy("humaneval", "t1", "sdsat", 3, 50, 10, 5, 10, 5, 5, true),
                // t9 has no baseline: it counts in the row's mean time but not in the speedup.
                greedy("humaneval", "t9", "sdsat", 3, 500, 10, 5, 10, 5, 5, true));
        RowSummary row = Aggregator.summarise(records).get(1);
        assertThat(row.prompts()).isEqualTo(3);
        assertThat(row.meanTimeMs()).isCloseTo(200, within(EPS));
        assertThat(row.speedup()).isCloseTo(2.0, within(EPS));
        assertThat(row.medianSpeedup()).isCloseTo(2.0, within(EPS));
    }

    @Test
    void medianSpeedupIsTheMedianOfPerPromptRatios() {
        List<PromptRecord> records = List.of(
                baseline("d", "a", 100, 10),
                baseline("d", "b", 100, 10),
                baseline("d", "c", 900, 10),
                greedy("d", "a", "sdsat", 1, 100, 10, 5, 5, 5, 5, true), // 1.0
                greedy("d", "b", "sdsat", 1, 25, 10, 5, 5, 5, 5, true), // 4.0
                greedy("d", "c", "sdsat", 1, 450, 10, 5, 5, 5, 5, true)); // 2.0
        RowSummary row = Aggregator.summarise(records).get(1);
        assertThat(row.medianSpeedup()).isCloseTo(2.0, within(EPS));
        assertThat(row.speedup()).isCloseTo(1100.0 / 575.0, within(EPS));
        assertThat(row.medianTimeMs()).isCloseTo(100, within(EPS));
    }

    @Test
    void samplingRowsUseTheBaselineAtTheirTemperatureAndHaveNoIdentityCount() {
        List<PromptRecord> records = List.of(
                baseline("humaneval", "t0", 100, 10),
                sampled("humaneval", "t0", "ar", 0, 1.0, null, 400, 10, 10, 0, 0, 10),
                sampled("humaneval", "t0", "sdsat-tree", 5, 1.0, "paper", 100, 10, 4, 20, 6, 3),
                sampled("humaneval", "t0", "sdsat-tree", 5, 0.2, "paper", 100, 10, 4, 20, 6, 3));
        List<RowSummary> rows = Aggregator.summarise(records);
        assertThat(rows)
                .extracting(RowSummary::decoder, RowSummary::temperature, RowSummary::sampling)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("ar", 0.0, null),
                        org.assertj.core.groups.Tuple.tuple("sdsat-tree", 0.2, "paper"),
                        org.assertj.core.groups.Tuple.tuple("ar", 1.0, null),
                        org.assertj.core.groups.Tuple.tuple("sdsat-tree", 1.0, "paper"));
        assertThat(rows.get(1).speedup()).as("no baseline at T=0.2").isNull();
        assertThat(rows.get(1).identicalToBaseline()).isNull();
        assertThat(rows.get(2).speedup()).isEqualTo(1.0);
        assertThat(rows.get(2).identicalToBaseline()).isNull();
        assertThat(rows.get(3).speedup()).isCloseTo(4.0, within(EPS));
        assertThat(rows.get(3).identicalToBaseline()).isNull();
    }

    @Test
    void rowsAreGroupedByDatasetThenOrderedByK() {
        List<PromptRecord> records = List.of(
                greedy("infilling", "a", "sdsat", 7, 10, 5, 2, 7, 3, 2, true),
                greedy("humaneval", "a", "sdsat", 3, 10, 5, 2, 7, 3, 2, true),
                greedy("infilling", "a", "sdsat", 1, 10, 5, 2, 7, 3, 2, true),
                baseline("infilling", "a", 20, 5),
                baseline("humaneval", "a", 20, 5));
        assertThat(Aggregator.summarise(records))
                .extracting(row -> row.dataset() + ":" + row.decoder() + ":" + row.k())
                .containsExactly(
                        "infilling:ar:0",
                        "infilling:sdsat:1",
                        "infilling:sdsat:7",
                        "humaneval:ar:0",
                        "humaneval:sdsat:3");
    }

    @Test
    void aPromptMeasuredTwiceInOneRowIsRefused() {
        List<PromptRecord> records = List.of(baseline("humaneval", "t0", 100, 10), baseline("humaneval", "t0", 90, 10));
        assertThatThrownBy(() -> Aggregator.summarise(records))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("humaneval/t0")
                .hasMessageContaining("twice");
    }

    @Test
    void badRecordsAreRefused() {
        assertThatThrownBy(() -> greedy("d", "t", "sdsat", -1, 10, 1, 1, 1, 1, 1, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k must be");
        assertThatThrownBy(() -> greedy("d", "t", "sdsat", 1, Double.NaN, 1, 1, 1, 1, 1, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeMs");
        assertThatThrownBy(() -> greedy("d", " ", "sdsat", 1, 10, 1, 1, 1, 1, 1, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("taskId");
    }

    @Test
    void environmentReadsTheCpuModelName() throws Exception {
        java.nio.file.Path cpuinfo = java.nio.file.Files.createTempFile("cpuinfo", ".txt");
        try {
            java.nio.file.Files.writeString(
                    cpuinfo,
                    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n");
            assertThat(Environment.cpuName(cpuinfo)).isEqualTo("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz");
            assertThat(Environment.cpuName(cpuinfo.resolveSibling("no-such-cpuinfo")))
                    .isNull();
        } finally {
            java.nio.file.Files.deleteIfExists(cpuinfo);
        }
        Environment environment = Environment.detect("cpu()", "float32", null, "/models/x", null, 1234L);
        assertThat(environment.djlVersion()).isEqualTo("0.36.0");
        assertThat(environment.javaVersion()).startsWith(System.getProperty("java.version"));
        assertThat(environment.parameterCount()).isEqualTo(1234L);
    }
}
