package io.github.sdsat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void secondsMinutesAndHoursAreWrittenCompactlyAndUnknownTimesAsAQuestionMark() {
        assertThat(Durations.format(0)).isEqualTo("0s");
        assertThat(Durations.format(42.4)).isEqualTo("42s");
        assertThat(Durations.format(59.6)).isEqualTo("1m00s");
        assertThat(Durations.format(185)).isEqualTo("3m05s");
        assertThat(Durations.format(3723)).isEqualTo("1h02m03s");
        assertThat(Durations.format(-1)).isEqualTo("?");
        assertThat(Durations.format(Double.NaN)).isEqualTo("?");
        assertThat(Durations.format(Double.POSITIVE_INFINITY)).isEqualTo("?");
    }
}
