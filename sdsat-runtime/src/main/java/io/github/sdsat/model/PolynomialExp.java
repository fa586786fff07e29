package io.github.sdsat.model;

/**
 * exp(x) in float32 as Cephes' {@code expf} computes it (x = n·ln2 + r, |r| <= ln2/2, e^r from a degree-6
 * polynomial, 2^n from exponent bits), written once as a fixed sequence of correctly rounded IEEE operations
 * (fused multiply-add, multiply, add, min/max, integer bit arithmetic). The vector kernels run the same sequence
 * lane-wise ({@code VectorCpuKernels.exp}), so an element gets bit-identical exp whether it falls in a vector lane or
 * in a loop's scalar tail, on every CPU and JVM.
 *
 * <p>Why not {@link Math#exp} and the vector API's {@code EXP}: the two differ by an ulp on some inputs (SVML on x86,
 * a Java fallback elsewhere), and which one an element meets depends on the length of the loop it is in, so the same
 * softmax entry could round differently in two passes of different shape (docs/DESIGN.md, "shape-invariant pass").
 *
 * <p>Accuracy (tested in {@code PolynomialExpTest}): within 2 ulp of the correctly rounded exp for results in the
 * normal range; results below 2^-126 round once from the polynomial to a subnormal; x below -104 gives 0 (exp(-104)
 * is under half the smallest subnormal), above 89 gives +inf; NaN stays NaN.
 */
final class PolynomialExp {
    /** Inputs are clamped to [LOWEST, HIGHEST] first, so 2^n below stays within two normal exponent factors. */
    static final float LOWEST = -104f;

    static final float HIGHEST = 89f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2^23: adding it rounds a float of magnitude under 2^22 to an integer held in the low mantissa bits. */
    static final float ROUND_MAGIC = 12582912f;

    static final int ROUND_MAGIC_BITS = 0x4B400000;
    /** ln2 split in two (Cephes): n·LN2_HI is exact for |n| <= 2^9, so r loses nothing to cancellation. */
    static final float LN2_HI = 0.693359375f;

    static final float LN2_LO = -2.12194440e-4f;
    // Cephes expf's minimax coefficients of (e^r - 1 - r) / r², highest degree first.
    static final float P0 = 1.9875691500e-4f;
    static final float P1 = 1.3981999507e-3f;
    static final float P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f;
    static final float P4 = 1.6666665459e-1f;
    static final float P5 = 5.0000001201e-1f;

    private PolynomialExp() {}

    /** e^x; the vector form in {@code VectorCpuKernels.exp} must stay this operation for operation. */
    static float exp(float x) {
        float clamped = Math.min(Math.max(x, LOWEST), HIGHEST);
        float shifted = Math.fma(clamped, LOG2E, ROUND_MAGIC); // round(x·log2 e) + 1.5·2^23
        float n = shifted - ROUND_MAGIC;
        int exponent = Float.floatToRawIntBits(shifted) - ROUND_MAGIC_BITS;
        float r = Math.fma(n, -LN2_HI, clamped);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        // 2^n as two normal factors (n is in [-150, 128]): the first product is exact, the second rounds once,
        // also into the subnormal range.
        int half = exponent >> 1;
        float lowScale = Float.intBitsToFloat((half + 127) << 23);
        float highScale = Float.intBitsToFloat((exponent - half + 127) << 23);
        return y * lowScale * highScale;
    }
}
