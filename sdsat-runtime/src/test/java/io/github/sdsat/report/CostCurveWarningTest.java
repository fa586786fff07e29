package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.results.Environment;
import io.github.sdsat.results.RunResults;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The page warns beside the results table when the ceilings were priced on a cost curve that is not monotone. */
class CostCurveWarningTest {

    private static String page(Map<Integer, Double> curve) {
        Environment environment = SampleRuns.environment().with("java vector (512-bit), 2 threads", 167, curve);
        RunResults run = RunResults.of(SampleRuns.config(null), environment, SampleRuns.records(List.of(0, 1)));
        return HtmlReport.render(run, List.of(), "run");
    }

    @Test
    void anInvertedCurveIsWarnedAbout() {
        // Mustache escapes ' and = in the page; a browser shows "T(3) = 339.1 ms"
        assertThat(page(Map.of(1, 388.7, 3, 339.1, 4, 393.3)))
                .contains(
                        "<p class=\"warn\">The run&#39;s cost curve is not monotone: T(3) &#61; 339.1 ms is 13 % below"
                                + " T(1) &#61; 388.7 ms");
    }

    @Test
    void aMonotoneCurveIsNot() {
        assertThat(page(Map.of(1, 300.0, 3, 330.0, 4, 393.3))).doesNotContain("not monotone");
    }
}
