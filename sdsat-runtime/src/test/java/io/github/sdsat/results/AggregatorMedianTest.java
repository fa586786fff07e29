package io.github.sdsat.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The toolkit's one median: odd and even counts, lists, and the caller's samples left in their order. */
class AggregatorMedianTest {
    @Test
    void oddCountsTakeTheMiddleAndEvenCountsTheMeanOfTheMiddleTwo() {
        assertThat(Aggregator.median(new double[] {5, 1, 3})).isEqualTo(3);
        assertThat(Aggregator.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Aggregator.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThatThrownBy(() -> Aggregator.median(new double[0])).hasMessageContaining("Median of no values");
    }

    @Test
    void theSamplesKeepTheirOrder() {
        double[] samples = {3, 1, 2}; // e.g. per-round timings that are paired by index later
        Aggregator.median(samples);
        assertThat(samples).containsExactly(3, 1, 2);
    }
}
