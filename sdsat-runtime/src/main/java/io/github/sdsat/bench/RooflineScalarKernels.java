package io.github.sdsat.bench;

/**
 * The plain-Java halves of {@link Roofline}'s two probes, for a JVM without {@code jdk.incubator.vector}: eight
 * independent scalar chains, the most a plain loop keeps in flight, so that they measure throughput, not latency.
 */
final class RooflineScalarKernels {
    private RooflineScalarKernels() {}

    /** The fallback read: eight scalar accumulators, the most a plain loop keeps independent. */
    static float sum(float[] a, int from, int to) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        int i = from;
        int end = from + (to - from) / 8 * 8;
        for (; i < end; i += 8) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
            s4 += a[i + 4];
            s5 += a[i + 5];
            s6 += a[i + 6];
            s7 += a[i + 7];
        }
        for (; i < to; i++) {
            s0 += a[i];
        }
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    }

    /** The fallback FMA loop: eight scalar chains, {@code 16 · iterations} FLOPs. */
    static float fma(int iterations, float seed) {
        float x = 0.999f;
        float y = 1e-3f;
        float a0 = seed;
        float a1 = seed + 1;
        float a2 = seed + 2;
        float a3 = seed + 3;
        float a4 = seed + 4;
        float a5 = seed + 5;
        float a6 = seed + 6;
        float a7 = seed + 7;
        for (int i = 0; i < iterations; i++) {
            a0 = Math.fma(a0, x, y);
            a1 = Math.fma(a1, x, y);
            a2 = Math.fma(a2, x, y);
            a3 = Math.fma(a3, x, y);
            a4 = Math.fma(a4, x, y);
            a5 = Math.fma(a5, x, y);
            a6 = Math.fma(a6, x, y);
            a7 = Math.fma(a7, x, y);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }
}
