package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.sdsat.model.LlamaConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class PassFloorTest {
    /** hidden 8, intermediate 16, 2 layers, 2 query heads sharing 1 KV head of width 4, vocab 10. */
    static final LlamaConfig SMALL =
            new LlamaConfig(8, 16, 2, 2, 1, 4, 10, 1e-5, 10000, 64, true, 0, List.of(1), "float32");

    /** One bandwidth for every size and one FMA peak, so the hand computation is exact. */
    static Roofline flat(double gbPerSecond, double gflopPerSecond) {
        return new Roofline(
                "test",
                32,
                List.of(new Roofline.Bandwidth(1_000_000, 1, gbPerSecond)),
                List.of(new Roofline.Fma(1, gflopPerSecond)),
                0);
    }

    @Test
    void matmulParametersCountEveryProjectionAndTheLmHeadEvenWhenTied() {
        // per layer: q|k|v 8·(8 + 2·4) = 128, o 8·8 = 64, gate+up+down 3·8·16 = 384 → 576;
        // 2 layers 1152; LM head 10·8 = 80 (tied: still read whole by the head) → 1232
        assertThat(PassFloor.matmulParameters(SMALL)).isEqualTo(1232);
    }

    @Test
    void predictionMatchesAHandComputation() {
        // n = 3 after 5 cached, F32: weights 1232·4 = 4928 B; K/V 2·2 layers·8 tokens·4 wide·4 B = 512 B → 5440 B
        // FLOPs 2·3·1232 = 7392 + attention 2 layers·2·2·3·8·(2·4) = 1536 → 8928
        PassFloor.Prediction p = PassFloor.predict(SMALL, 1232 * 4, 4, 5, 3, flat(10, 1), 1);
        assertThat(p.bytes()).isEqualTo(5440);
        assertThat(p.flops()).isEqualTo(8928.0);
        assertThat(p.memorySeconds()).isCloseTo(5440 / 10e9, within(1e-15));
        assertThat(p.computeSeconds()).isCloseTo(8928 / 1e9, within(1e-15));
        assertThat(p.seconds()).isEqualTo(p.computeSeconds());
        assertThat(p.bound()).isEqualTo("compute");
        // a very slow memory makes the same pass memory-bound
        PassFloor.Prediction slow = PassFloor.predict(SMALL, 1232 * 4, 4, 5, 3, flat(1e-6, 1), 1);
        assertThat(slow.bound()).isEqualTo("memory");
        assertThat(slow.seconds()).isCloseTo(5440 / 1e3, within(1e-9));
        assertThatThrownBy(() -> PassFloor.predict(SMALL, 1232 * 4, 4, 0, 0, flat(10, 1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("n >= 1");
    }

    @Test
    void halfPrecisionWeightsHalveTheWeightTermButNotTheCacheOrTheFlops() {
        // BF16 weights: 1232·2 = 2464 B, the F32 cache still 512 B → 2976 B; the FLOPs do not depend on the dtype
        PassFloor.Prediction bf16 = PassFloor.predict(SMALL, 1232 * 2, 4, 5, 3, flat(1e-6, 1), 1);
        assertThat(bf16.bytes()).isEqualTo(2976);
        assertThat(bf16.flops()).isEqualTo(8928.0);
        assertThat(bf16.seconds()).isCloseTo(2976 / 1e3, within(1e-9));
        assertThatThrownBy(() -> PassFloor.predict(SMALL, 0, 4, 5, 3, flat(10, 1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weightBytes >= 1");
    }
}
