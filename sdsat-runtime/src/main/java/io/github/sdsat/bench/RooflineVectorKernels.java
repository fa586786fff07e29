package io.github.sdsat.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector-API halves of {@link Roofline}'s two probes. Kept in their own class so that the vector types are only
 * loaded when {@code jdk.incubator.vector} is in the boot layer: {@link Roofline} never names them, so it links and
 * falls back to plain loops in a JVM started without {@code --add-modules jdk.incubator.vector}.
 *
 * <p>Both loops are branch-free with independent accumulators: the JIT keeps vectors in registers only in such simple
 * loops (see docs/PERFORMANCE.md), and one accumulator would measure the add latency, not the throughput.
 */
final class RooflineVectorKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private RooflineVectorKernels() {}

    /** Lanes of the preferred species (8 for 256-bit AVX2, 16 for AVX-512). */
    static int lanes() {
        return LANES;
    }

    /** Bits of the preferred species. */
    static int bits() {
        return SPECIES.vectorBitSize();
    }

    /**
     * Sum of {@code a[from, to)}: one read of every element. Four accumulators, so that loads, not the latency of the
     * dependent adds, limit the loop.
     */
    static float sum(float[] a, int from, int to) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        int step = 4 * LANES;
        int i = from;
        int end = from + (to - from) / step * step;
        for (; i < end; i += step) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + LANES));
            s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * LANES));
            s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * LANES));
        }
        float tail = 0f;
        for (; i < to; i++) {
            tail += a[i];
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD) + tail;
    }

    /**
     * {@code iterations} rounds of 12 independent vector FMAs (acc = acc·x + y), i.e.
     * {@code 24 · lanes · iterations} FLOPs. Twelve chains cover an FMA latency of 4 cycles at 2 FMAs per cycle with room to spare, and with x and y
     * that still fit in the 16 AVX2 registers. acc converges to y / (1 - x): no overflow, no denormals to slow it.
     */
    static float fma(int iterations, float seed) {
        FloatVector x = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector y = FloatVector.broadcast(SPECIES, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, seed);
        FloatVector a1 = FloatVector.broadcast(SPECIES, seed + 1);
        FloatVector a2 = FloatVector.broadcast(SPECIES, seed + 2);
        FloatVector a3 = FloatVector.broadcast(SPECIES, seed + 3);
        FloatVector a4 = FloatVector.broadcast(SPECIES, seed + 4);
        FloatVector a5 = FloatVector.broadcast(SPECIES, seed + 5);
        FloatVector a6 = FloatVector.broadcast(SPECIES, seed + 6);
        FloatVector a7 = FloatVector.broadcast(SPECIES, seed + 7);
        FloatVector a8 = FloatVector.broadcast(SPECIES, seed + 8);
        FloatVector a9 = FloatVector.broadcast(SPECIES, seed + 9);
        FloatVector a10 = FloatVector.broadcast(SPECIES, seed + 10);
        FloatVector a11 = FloatVector.broadcast(SPECIES, seed + 11);
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1)
                .add(a2)
                .add(a3)
                .add(a4)
                .add(a5)
                .add(a6)
                .add(a7)
                .add(a8)
                .add(a9)
                .add(a10)
                .add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
