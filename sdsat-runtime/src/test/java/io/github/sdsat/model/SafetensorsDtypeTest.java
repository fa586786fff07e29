package io.github.sdsat.model;

import static io.github.sdsat.model.SafetensorsDtype.bf16BitsToFloat;
import static io.github.sdsat.model.SafetensorsDtype.f16BitsToFloat;
import static io.github.sdsat.model.SafetensorsDtype.floatToBf16Bits;
import static io.github.sdsat.model.SafetensorsDtype.floatToF16Bits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SafetensorsDtypeTest {

    private static int f16(float value) {
        return floatToF16Bits(value) & 0xffff;
    }

    private static int bf16(float value) {
        return floatToBf16Bits(value) & 0xffff;
    }

    @Test
    void everyHalfValueSurvivesARoundTripThroughFloat() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float value = f16BitsToFloat(bits);
            if (Float.isNaN(value)) {
                assertThat((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0).isTrue();
                assertThat(Float.isNaN(f16BitsToFloat(f16(value)))).isTrue();
            } else {
                assertThat(f16(value)).as("half bits %04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void halfDecodesKnownValues() {
        assertThat(f16BitsToFloat(0x3c00)).isEqualTo(1.0f);
        assertThat(f16BitsToFloat(0xc000)).isEqualTo(-2.0f);
        assertThat(f16BitsToFloat(0x7bff)).isEqualTo(65504f);
        assertThat(f16BitsToFloat(0x0001)).isEqualTo(0x1p-24f);
        assertThat(f16BitsToFloat(0x03ff)).isEqualTo(1023 * 0x1p-24f);
        assertThat(f16BitsToFloat(0x0400)).isEqualTo(0x1p-14f);
        assertThat(f16BitsToFloat(0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f16BitsToFloat(0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(f16BitsToFloat(0x8000))).isEqualTo(0x80000000);
    }

    @Test
    void halfRoundsToNearestWithTiesToEven() {
        // 1 + 2^-11 lies halfway between 1 (even mantissa) and 1 + 2^-10: goes to 1.
        assertThat(f16(1f + 0x1p-11f)).isEqualTo(0x3c00);
        // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): goes up.
        assertThat(f16(1f + 3 * 0x1p-11f)).isEqualTo(0x3c02);
        assertThat(f16(Math.nextUp(1f + 0x1p-11f))).isEqualTo(0x3c01);
        assertThat(f16(65504f)).isEqualTo(0x7bff);
        assertThat(f16(Math.nextDown(65520f))).isEqualTo(0x7bff);
        assertThat(f16(65520f)).isEqualTo(0x7c00);
        assertThat(f16(1e10f)).isEqualTo(0x7c00);
        assertThat(f16(-1e10f)).isEqualTo(0xfc00);
        assertThat(f16(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
        assertThat(f16(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
        assertThat(Float.isNaN(f16BitsToFloat(f16(Float.NaN)))).isTrue();
        assertThat(f16(-0.0f)).isEqualTo(0x8000);
    }

    @Test
    void halfRoundsSubnormalsToNearestWithTiesToEven() {
        assertThat(f16(0x1p-24f)).isEqualTo(0x0001);
        assertThat(f16(0x1p-25f))
                .as("half of the smallest subnormal ties to even zero")
                .isEqualTo(0x0000);
        assertThat(f16(Math.nextUp(0x1p-25f))).isEqualTo(0x0001);
        assertThat(f16(-0x1p-25f)).isEqualTo(0x8000);
        assertThat(f16(1.5f * 0x1p-24f))
                .as("tie between 1 and 2 units goes to 2")
                .isEqualTo(0x0002);
        assertThat(f16(2.5f * 0x1p-24f))
                .as("tie between 2 and 3 units goes to 2")
                .isEqualTo(0x0002);
        assertThat(f16(1023.5f * 0x1p-24f))
                .as("rounds up into the smallest normal")
                .isEqualTo(0x0400);
        assertThat(f16(1e-10f)).isEqualTo(0x0000);
    }

    @Test
    void halfConversionPicksTheNearestRepresentableValueForRandomFloats() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            // Magnitudes from deep subnormal to beyond the half range.
            float value = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(45) - 28));
            int chosen = f16(value);
            if (Math.abs(value) >= 65520f) {
                assertThat(chosen & 0x7fff)
                        .as("%s overflows to infinity", value)
                        .isEqualTo(0x7c00);
                continue;
            }
            double error = Math.abs((double) f16BitsToFloat(chosen) - value);
            for (int neighbour : new int[] {chosen - 1, chosen + 1}) {
                if ((neighbour & 0x7fff) >= 0x7c00 || (neighbour & 0x8000) != (chosen & 0x8000)) {
                    continue;
                }
                double other = Math.abs((double) f16BitsToFloat(neighbour) - value);
                assertThat(error)
                        .as("value %s -> %04x vs %04x", value, chosen, neighbour)
                        .isLessThanOrEqualTo(other);
                if (error == other) {
                    assertThat(chosen & 1)
                            .as("tie at %s must go to the even mantissa", value)
                            .isZero();
                }
            }
        }
    }

    @Test
    void bfloat16RoundTripsAndRoundsToNearestEven() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float value = bf16BitsToFloat(bits);
            if (!Float.isNaN(value)) {
                assertThat(bf16(value)).as("bf16 bits %04x", bits).isEqualTo(bits);
            }
        }
        assertThat(bf16(1f)).isEqualTo(0x3f80);
        assertThat(bf16(1f + 0x1p-8f)).as("tie goes to even 1").isEqualTo(0x3f80);
        assertThat(bf16(1f + 3 * 0x1p-8f)).as("tie goes up to even").isEqualTo(0x3f82);
        assertThat(bf16(Math.nextUp(1f + 0x1p-8f))).isEqualTo(0x3f81);
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo(0x7f80);
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
        assertThat(Float.isNaN(bf16BitsToFloat(bf16(Float.NaN)))).isTrue();
        assertThat(bf16(Float.MIN_VALUE))
                .as("float subnormals round like any value")
                .isEqualTo(0x0000);
    }

    @Test
    void parseRefusesOtherDtypesByName() {
        assertThat(SafetensorsDtype.parse("BF16", "x")).isEqualTo(SafetensorsDtype.BF16);
        assertThatThrownBy(() -> SafetensorsDtype.parse("I8", "tensor 'w' in a.safetensors"))
                .hasMessageContaining("tensor 'w' in a.safetensors")
                .hasMessageContaining("unsupported dtype 'I8'")
                .hasMessageContaining("[F32, F16, BF16]");
        assertThatThrownBy(() -> SafetensorsDtype.parse("Q4", "w")).hasMessageContaining("unknown dtype 'Q4'");
    }
}
