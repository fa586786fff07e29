package io.github.sdsat.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cost-curve check under the summary table and in the report ({@link Environment#costCurveInversion}). */
class EnvironmentCostCurveTest {

    @Test
    void aMonotoneCurveGivesNoWarning() {
        assertThat(EnvironmentFixtures.cpuWithCostCurve(Map.of(1, 300.0, 2, 310.0, 4, 390.0, 9, 640.0))
                        .costCurveInversion())
                .isNull();
    }

    @Test
    void anInversionWithinTheNoiseToleranceGivesNoWarning() {
        // T(2) 4 % below T(1): a memory-bound pass's round-to-round noise
        assertThat(EnvironmentFixtures.cpuWithCostCurve(Map.of(1, 300.0, 2, 288.0, 4, 390.0))
                        .costCurveInversion())
                .isNull();
    }

    @Test
    void theLargestInversionIsNamedWithItsSize() {
        // the small-k run of docs/performance/paper-scale/round3 (7B shape, 167 cached tokens)
        Map<Integer, Double> curve =
                Map.of(1, 388.709353, 2, 363.842917, 3, 339.103815, 4, 393.253959, 5, 400.73455, 9, 640.391509);
        assertThat(EnvironmentFixtures.cpuWithCostCurve(curve).costCurveInversion())
                .contains("T(3) = 339.1 ms is 13 % below T(1) = 388.7 ms")
                .contains("every ceiling");
    }

    @Test
    void noCurveGivesNoWarning() {
        assertThat(EnvironmentFixtures.cpuWithCostCurve(null).costCurveInversion())
                .isNull();
    }
}
