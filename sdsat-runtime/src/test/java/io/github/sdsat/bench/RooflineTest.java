package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.report.ResultFiles;
import java.util.List;
import org.junit.jupiter.api.Test;

class RooflineTest {
    private static final long MB = 1_000_000L;

    /** 1 thread: 80 GB/s at 8 MB, 50 at 32 MB, 32 at 128 MB; 2 threads: 150 at 8 MB, 60 at 128 MB. */
    private static Roofline table() {
        return new Roofline(
                "test",
                256,
                List.of(
                        new Roofline.Bandwidth(32 * MB, 1, 50),
                        new Roofline.Bandwidth(8 * MB, 1, 80),
                        new Roofline.Bandwidth(128 * MB, 1, 32),
                        new Roofline.Bandwidth(8 * MB, 2, 150),
                        new Roofline.Bandwidth(128 * MB, 2, 60)),
                List.of(new Roofline.Fma(1, 100), new Roofline.Fma(2, 180)),
                0.0);
    }

    @Test
    void bandwidthIsExactAtMeasuredSizesAndLinearInLogBytesBetweenThem() {
        Roofline r = table();
        assertThat(r.bandwidthFor(8 * MB, 1)).isCloseTo(80e9, within(1.0));
        assertThat(r.bandwidthFor(32 * MB, 1)).isCloseTo(50e9, within(1.0));
        // 16 MB is halfway between 8 and 32 MB in log(bytes): halfway between 80 and 50 GB/s
        assertThat(r.bandwidthFor(16 * MB, 1)).isCloseTo(65e9, within(1e3));
        // 64 MB is halfway between 32 and 128 MB: (50 + 32) / 2
        assertThat(r.bandwidthFor(64 * MB, 1)).isCloseTo(41e9, within(1e3));
        // 2 threads, 32 MB: log(32/8) / log(128/8) = 2/4, half way from 150 to 60
        assertThat(r.bandwidthFor(32 * MB, 2)).isCloseTo(105e9, within(1e3));
    }

    @Test
    void bandwidthIsClampedOutsideTheMeasuredSizes() {
        Roofline r = table();
        assertThat(r.bandwidthFor(1, 1)).isCloseTo(80e9, within(1.0));
        assertThat(r.bandwidthFor(4_000 * MB, 1)).isCloseTo(32e9, within(1.0));
        assertThat(r.bandwidthFor(4_000 * MB, 2)).isCloseTo(60e9, within(1.0));
    }

    @Test
    void moreThreadsThanMeasuredUseTheLargestMeasuredCount() {
        Roofline r = table();
        assertThat(r.bandwidthFor(8 * MB, 4)).isCloseTo(150e9, within(1.0));
        assertThat(r.fmaFlopsPerSecond(1)).isCloseTo(100e9, within(1.0));
        assertThat(r.fmaFlopsPerSecond(2)).isCloseTo(180e9, within(1.0));
        assertThat(r.fmaFlopsPerSecond(16)).isCloseTo(180e9, within(1.0));
    }

    @Test
    void badLookupsNameTheProblem() {
        Roofline r = table();
        assertThatThrownBy(() -> r.bandwidthFor(0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytes must be positive");
        assertThatThrownBy(() -> r.bandwidthFor(MB, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads must be at least 1");
        Roofline twoOnly = new Roofline(
                "test", 256, List.of(new Roofline.Bandwidth(8 * MB, 2, 150)), List.of(new Roofline.Fma(2, 180)), 0.0);
        assertThatThrownBy(() -> twoOnly.bandwidthFor(MB, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no roofline point for 1 thread")
                .hasMessageContaining("[2]");
        assertThatThrownBy(() -> twoOnly.fmaFlopsPerSecond(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Roofline.Settings(List.of(1000L), List.of(1), 1, 1, MB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 MB");
        assertThatThrownBy(() -> new Roofline.Settings(List.of(MB), List.of(0), 1, 1, MB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("thread count 0");
        assertThatThrownBy(() -> new Roofline.Bandwidth(MB, 1, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSmallMeasurementHasOnePointPerSettingOnBothPathsAndSurvivesJson() throws Exception {
        Roofline.Settings settings = new Roofline.Settings(List.of(MB, 2 * MB), List.of(1, 2), 3, 0.01, 4 * MB);
        List<Boolean> paths = Roofline.vectorModulePresent() ? List.of(false, true) : List.of(false);
        for (boolean vector : paths) {
            Roofline r = Roofline.measure(settings, vector);
            assertThat(r.kernel()).isEqualTo(vector ? Roofline.VECTOR : Roofline.SCALAR);
            assertThat(r.vectorBits()).isGreaterThanOrEqualTo(32);
            assertThat(r.bandwidth())
                    .extracting(b -> b.bytes() + "/" + b.threads())
                    .containsExactly(MB + "/1", MB + "/2", 2 * MB + "/1", 2 * MB + "/2");
            assertThat(r.fma()).extracting(Roofline.Fma::threads).containsExactly(1, 2);
            assertThat(r.markdown()).contains("| 1 MB |", "| 2 MB |", "F32 FMA GFLOP/s");
            ObjectMapper json = ResultFiles.mapper();
            assertThat(json.readValue(json.writeValueAsString(r), Roofline.class))
                    .isEqualTo(r);
        }
        assertThat(Roofline.measure(settings).kernel())
                .isEqualTo(Roofline.vectorModulePresent() ? Roofline.VECTOR : Roofline.SCALAR);
    }
}
