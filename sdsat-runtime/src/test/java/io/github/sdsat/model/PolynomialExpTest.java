package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * {@link PolynomialExp}: its accuracy against the correctly rounded exp, its special values, and that the vector
 * lanes ({@link VectorCpuKernels#exp}) and the scalar form agree bit for bit, so softmax and SiLU never depend on
 * which lane or tail an element falls in.
 */
class PolynomialExpTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Smallest x whose exp is a normal float: ln(2^-126). */
    private static final float NORMAL_FROM = -87.33654f;
    /** Largest x whose exp is finite: ln(Float.MAX_VALUE). */
    private static final float FINITE_TO = 88.72283f;

    @Test
    void withinTwoUlpOfTheCorrectlyRoundedExpOverTheNormalRange() {
        double worst = 0;
        float worstAt = 0;
        for (float x : sweep(NORMAL_FROM, FINITE_TO, 1009)) {
            double exact = Math.exp(x);
            float rounded = (float) exact;
            double ulps = Math.abs(PolynomialExp.exp(x) - exact) / Math.ulp(rounded);
            if (ulps > worst) {
                worst = ulps;
                worstAt = x;
            }
        }
        System.out.printf("PolynomialExp: worst error %.3f ulp at x = %s%n", worst, worstAt);
        assertThat(worst).as("worst error in ulp (at x = %s)", worstAt).isLessThanOrEqualTo(2.0);
    }

    @Test
    void subnormalResultsAreWithinOneSubnormalStep() {
        for (float x : sweep(PolynomialExp.LOWEST, NORMAL_FROM, 7)) {
            double error = Math.abs(PolynomialExp.exp(x) - Math.exp(x));
            assertThat(error).as("exp(%s)", x).isLessThanOrEqualTo(Float.MIN_VALUE);
        }
    }

    @Test
    void specialValues() {
        assertThat(PolynomialExp.exp(0f)).isEqualTo(1f);
        assertThat(PolynomialExp.exp(-0f)).isEqualTo(1f);
        assertThat(PolynomialExp.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f); // a masked softmax entry
        assertThat(PolynomialExp.exp(-104f)).isEqualTo(0f);
        assertThat(PolynomialExp.exp(-1e30f)).isEqualTo(0f);
        assertThat(PolynomialExp.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(PolynomialExp.exp(89f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(PolynomialExp.exp(FINITE_TO)).isFinite().isGreaterThan(3.4e38f);
        assertThat(PolynomialExp.exp(Float.NaN)).isNaN();
        assertThat(PolynomialExp.exp(1f)).isEqualTo((float) Math.E);
    }

    @Test
    void vectorLanesGiveTheScalarExpBitForBit() {
        Random random = new Random(9);
        float[] specials = {
            0f,
            -0f,
            Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY,
            Float.NaN,
            -104f,
            -103.9f,
            -87.4f,
            NORMAL_FROM,
            FINITE_TO,
            89f,
            1e-40f,
            -1e-40f,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            1f,
            -1f
        };
        float[] xs = new float[200_000 + specials.length];
        System.arraycopy(specials, 0, xs, 0, specials.length);
        for (int i = specials.length; i < xs.length; i++) {
            xs[i] = i % 2 == 0 ? (float) (random.nextDouble() * 200 - 105) : (float) (random.nextGaussian() * 4);
        }
        int lanes = S.length();
        float[] out = new float[lanes];
        for (int i = 0; i + lanes <= xs.length; i += lanes) {
            VectorCpuKernels.exp(xs, i, 1f, 0f, out, 0);
            for (int l = 0; l < lanes; l++) {
                assertThat(Float.floatToIntBits(out[l]))
                        .as("exp(%s) in lane %d", xs[i + l], l)
                        .isEqualTo(Float.floatToIntBits(PolynomialExp.exp(xs[i + l])));
            }
        }
    }

    /**
     * silu(g)·u of an element is the same whether it falls in a vector lane (a long row) or in the scalar tail (a
     * short one), and the same in the scalar kernels: it is elementwise, and both use one exp in float.
     */
    @Test
    void siluOfAnElementDoesNotDependOnItsLaneOrTheKernels() {
        int longest = 3 * S.length() + 5;
        Random random = new Random(10);
        float[] in = new float[2 * longest];
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) (random.nextGaussian() * 3);
        }
        CpuKernels vector = new VectorCpuKernels();
        CpuKernels scalar = new ScalarCpuKernels();
        float[] full = new float[longest];
        vector.siluTimes(in, 0, longest, full, 0, longest);
        for (int n = 1; n <= longest; n++) {
            float[] shortRow = new float[n];
            vector.siluTimes(in, 0, longest, shortRow, 0, n);
            float[] plain = new float[n];
            scalar.siluTimes(in, 0, longest, plain, 0, n);
            for (int j = 0; j < n; j++) {
                assertThat(Float.floatToIntBits(shortRow[j]))
                        .as("silu of element %d in a row of %d (vector) vs of %d", j, n, longest)
                        .isEqualTo(Float.floatToIntBits(full[j]));
                assertThat(Float.floatToIntBits(plain[j]))
                        .as("silu of element %d in a row of %d (scalar kernels) vs vector", j, n)
                        .isEqualTo(Float.floatToIntBits(full[j]));
            }
        }
    }

    /** Every {@code step}-th float from {@code from} to {@code to}, stepping through the ordered bit patterns. */
    private static float[] sweep(float from, float to, int step) {
        long first = ordered(from);
        long last = ordered(to);
        float[] xs = new float[(int) ((last - first) / step + 1)];
        for (int i = 0; i < xs.length; i++) {
            long o = first + (long) i * step;
            xs[i] = Float.intBitsToFloat((int) (o >= 0 ? o : Integer.MIN_VALUE - o));
        }
        return xs;
    }

    /** Floats in order as integers: -0 and +0 next to each other, negatives below. */
    private static long ordered(float x) {
        int bits = Float.floatToRawIntBits(x);
        return bits >= 0 ? bits : (long) Integer.MIN_VALUE - bits;
    }
}
