package io.github.sdsat.model;

import java.util.logging.Logger;

/**
 * The arithmetic of the Java CPU forward pass ({@link CpuForward}): the packed matrix product and the small vector
 * operations of attention. Two implementations give the same logits to float rounding: {@code vector} (Java's vector
 * API, the fast path) and {@code scalar} (plain loops, for a JVM started without {@code --add-modules
 * jdk.incubator.vector}).
 */
interface CpuKernels {
    /** Columns per weight tile this implementation is written for ({@link PackedMatrix}). */
    int tileWidth();

    /** "vector (512-bit)" or "scalar": shown in reports. */
    String name();

    /**
     * y = x · Wᵀ for the output tiles [fromTile, toTile) of {@code w}.
     *
     * @param x [rows, w.in] row-major
     * @param y [rows, w.paddedOut()] row-major; only the columns of the given tiles are written
     */
    void matmul(float[] x, int rows, PackedMatrix w, float[] y, int fromTile, int toTile);

    /** Σ a[aOff + i] · b[bOff + i] for i < n. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** y[yOff + i] += alpha · x[xOff + i] for i < n. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** The vector kernels when the JVM has the vector module, else the scalar ones (logged once). */
    static CpuKernels best() {
        return Holder.BEST;
    }

    /** Why: loading the vector class in a JVM without the module would throw NoClassDefFoundError. */
    final class Holder {
        static final CpuKernels BEST = choose();

        private Holder() {
        }

        private static CpuKernels choose() {
            boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
            if (vectorModule && !"scalar".equals(System.getProperty("sdsat.cpuKernels"))) {
                return new VectorCpuKernels();
            }
            Logger.getLogger(CpuKernels.class.getName()).warning("The JVM runs without --add-modules "
                    + "jdk.incubator.vector: the CPU forward pass uses scalar kernels (several times slower). Add the "
                    + "flag to MAVEN_OPTS or .mvn/jvm.config (docs/PERFORMANCE.md).");
            return new ScalarCpuKernels();
        }
    }
}
