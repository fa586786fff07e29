package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The cost-curve command line: defaults, the options for a 7B-shaped run, and the refusals. */
class CostCurveTest {
    private static CostCurve.Options parse(String... args) {
        return CostCurve.Options.parse(args);
    }

    @Test
    void theDefaultsAreTheFullCurveOnTheEmbeddedAndTheRandomModel() {
        CostCurve.Options defaults = parse();
        assertThat(defaults.models()).containsExactly("sdsat", "random");
        assertThat(defaults.widths()).isEqualTo(CostCurve.NEW_TOKENS);
        assertThat(defaults.widths()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64);
        assertThat(defaults.cached()).containsExactly(0, 256, 1024);
        assertThat(defaults.rounds()).isEqualTo(5);
        assertThat(defaults.threads()).isEqualTo(1);
        assertThat(defaults.arRuns()).isEqualTo(3);
        assertThat(defaults.randomShape().maxPositions()).isGreaterThanOrEqualTo(1024 + 64);
        assertThat(PassFloor.matmulParameters(defaults.randomShape()) * 4).isBetween(500_000_000L, 600_000_000L);
    }

    @Test
    void aSevenBillionShapedRunNamesItsWidthsCachedLengthsAndRounds() {
        CostCurve.Options o = parse(
                "--models", "/models/7b", "--widths", "1-16", "--cached", "0,512", "--rounds", "3", "--ar-runs", "0");
        assertThat(o.models()).containsExactly("/models/7b");
        assertThat(o.widths()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        assertThat(o.cached()).containsExactly(0, 512);
        assertThat(o.rounds()).isEqualTo(3);
        assertThat(o.arRuns()).isZero();
        // ranges and single values mix; the order written does not matter and repeats count once
        assertThat(parse("--widths", "8,1-4, 16,4").widths()).containsExactly(1, 2, 3, 4, 8, 16);
        assertThat(parse("--cached", "512, 0").cached()).containsExactly(0, 512);
    }

    @Test
    void badWidthsAndCachedLengthsAreRefusedNamingTheOptionAndTheFix() {
        assertThatThrownBy(() -> parse("--widths", "2-16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--widths '2-16' must include 1")
                .hasMessageContaining("--widths 1-16");
        assertThatThrownBy(() -> parse("--widths", "0,1,2"))
                .hasMessageContaining("--widths '0,1,2' must name pass sizes of at least 1");
        assertThatThrownBy(() -> parse("--widths", "")).hasMessageContaining("--widths '' must name pass sizes");
        assertThatThrownBy(() -> parse("--widths", "16-1"))
                .hasMessageContaining("--widths range '16-1' runs backwards")
                .hasMessageContaining("1-16");
        assertThatThrownBy(() -> parse("--widths", "1-x")).hasMessageContaining("--widths takes an integer, got '1-x'");
        assertThatThrownBy(() -> parse("--widths", "1-100000000")).hasMessageContaining("spans more than");
        assertThatThrownBy(() -> parse("--cached", "-5,0"))
                .hasMessageContaining("--cached '-5,0' must name cached lengths of 0 tokens or more")
                .hasMessageContaining("--cached 0,512");
        assertThatThrownBy(() -> parse("--cached", " , "))
                .hasMessageContaining("--cached ' , ' must name cached lengths");
    }

    @Test
    void badOptionsAreRefusedWithTheFix() {
        assertThatThrownBy(() -> parse("--rounds", "0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--rounds must be at least 1");
        assertThatThrownBy(() -> parse("--threads", "two"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--threads takes an integer");
        assertThatThrownBy(() -> parse("--ar-runs", "-1")).hasMessageContaining("--ar-runs must be at least 0");
        assertThatThrownBy(() -> parse("--bogus", "1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("usage");
        assertThatThrownBy(() -> parse("--json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> parse("--rounds", "3", "--help"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("usage")
                .hasMessageNotContaining("needs a value");
        assertThatThrownBy(() -> parse("--models", " , ")).hasMessageContaining("--models names no model");
        assertThatThrownBy(() -> parse("--random-shape", "1024:8:16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--random-shape")
                .hasMessageContaining("HIDDEN:LAYERS:HEADS:INTERMEDIATE:VOCAB:CONTEXT");
        assertThatThrownBy(() -> parse("--random-shape", "1000:8:16:2816:32000:2048"))
                .hasMessageContaining("must split into 16 heads");
    }

    @Test
    void aThreadCountThatContradictsTheEngineSettingIsRefused() {
        String before = System.getProperty("ai.djl.pytorch.num_threads");
        try {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            assertThatThrownBy(() -> CostCurve.pinThreads(2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("disagrees with --threads 2");
        } finally {
            if (before == null) {
                System.clearProperty("ai.djl.pytorch.num_threads");
            } else {
                System.setProperty("ai.djl.pytorch.num_threads", before);
            }
        }
    }
}
