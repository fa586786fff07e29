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

    /**
     * Attention scores of one query against the {@code count} keys at the cache slots {@code slots[slotsOff ..
     * slotsOff + count)}: scores[j] = q · keys[keyOff + slots[slotsOff + j]·stride .. + width) for j < count. Why a
     * slot list: a row's softmax and weighted sum then run over its visible keys only, so their lane split depends
     * on how many keys the row sees, never on the pass's width or mask (docs/DESIGN.md, "shape-invariant pass").
     */
    void scores(
            float[] q,
            int qOff,
            float[] keys,
            int keyOff,
            int stride,
            int[] slots,
            int slotsOff,
            int count,
            int width,
            float[] scores);

    /**
     * The attention output of one query: out[outOff + d] = Σ_j weights[j] · values[valueOff + slots[slotsOff + j]·
     * stride + d] for d < width, j < count, summed in increasing j (out is overwritten).
     */
    void weightedSum(
            float[] weights,
            int[] slots,
            int slotsOff,
            int count,
            float[] values,
            int valueOff,
            int stride,
            int width,
            float[] out,
            int outOff);

    /**
     * softmax over x[0, n) in place: exp(x - max) / Σ (entries of -inf become 0), exp being {@link PolynomialExp}'s
     * in every lane and tail element.
     */
    void softmax(float[] x, int n);

    /**
     * SwiGLU's activation: out[outOff + j] = silu(g) · u with g = in[gateOff + j], u = in[upOff + j], silu(g) = g /
     * (1 + exp(-g)) in float with {@link PolynomialExp}'s exp, for j < n.
     */
    void siluTimes(float[] in, int gateOff, int upOff, float[] out, int outOff, int n);

    /** The vector kernels when the JVM has the vector module, else the scalar ones (logged once). */
    static CpuKernels best() {
        return Holder.BEST;
    }

    /**
     * Runs every row-count kernel and the vector helpers on a small matrix until the JIT has compiled them, once per
     * JVM. Why: interpreted vector-API code allocates an object per vector and runs ~100x slower, and a benchmark or
     * a decoder that first meets a 5-row pass would otherwise time the interpreter (measured: a 3-round cost curve
     * showed T(2) = 6 T(1) before this warm-up).
     */
    static void warmUp(CpuKernels kernels) {
        synchronized (Holder.class) {
            if (Holder.warm.contains(kernels.getClass())) {
                return;
            }
            int in = 64;
            int out = 2 * kernels.tileWidth();
            PackedMatrix w = PackedMatrix.pack(new float[out * in], out, in, kernels.tileWidth());
            float[] x = new float[8 * in];
            float[] y = new float[8 * w.paddedOut()];
            int[] slots = {0, 1, 2, 3};
            for (int iteration = 0; iteration < 1500; iteration++) {
                for (int rows = 1; rows <= 8; rows++) { // every block kernel and remainder
                    kernels.matmul(x, rows, w, y, 0, w.tiles);
                }
                kernels.dot(x, 0, x, in, in);
                kernels.axpy(0.5f, x, 0, y, 0, in);
                kernels.scores(x, 0, x, 0, 64, slots, 0, 4, 64, y);
                kernels.weightedSum(x, slots, 0, 4, x, 0, 64, 64, y, 0);
                kernels.softmax(y, 3 * in + 5);
                kernels.siluTimes(x, 0, in, y, 0, in + 3);
            }
            Holder.warm.add(kernels.getClass());
        }
    }

    /**
     * {@link #warmUp} for the matrix product on bfloat16 weights ({@link Bf16VectorTiles}), once per JVM: run only
     * when a model has such weights, so that float32 models do not pay for it.
     */
    static void warmUpHalves(CpuKernels kernels) {
        synchronized (Holder.class) {
            if (Holder.warmHalves.contains(kernels.getClass())) {
                return;
            }
            int in = 64;
            PackedMatrix w = PackedMatrix.allocate(2 * kernels.tileWidth(), in, kernels.tileWidth(), true);
            float[] x = new float[8 * in];
            float[] y = new float[8 * w.paddedOut()];
            for (int iteration = 0; iteration < 1500; iteration++) {
                for (int rows = 1; rows <= 8; rows++) { // every block kernel and remainder
                    kernels.matmul(x, rows, w, y, 0, w.tiles);
                }
            }
            Holder.warmHalves.add(kernels.getClass());
        }
    }

    /** Why: loading the vector class in a JVM without the module would throw NoClassDefFoundError. */
    final class Holder {
        static final CpuKernels BEST = choose();
        /** Kernel classes already warmed up in this JVM. */
        static final java.util.Set<Class<?>> warm = new java.util.HashSet<>();
        /** Kernel classes whose bfloat16 matrix product is warmed up in this JVM. */
        static final java.util.Set<Class<?>> warmHalves = new java.util.HashSet<>();

        private Holder() {}

        private static CpuKernels choose() {
            boolean vectorModule =
                    ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
            if (vectorModule && !"scalar".equals(System.getProperty("sdsat.cpuKernels"))) {
                return new VectorCpuKernels();
            }
            Logger.getLogger(CpuKernels.class.getName())
                    .warning("The JVM runs without --add-modules "
                            + "jdk.incubator.vector: the CPU forward pass uses scalar kernels (several times slower). Add the "
                            + "flag to MAVEN_OPTS or .mvn/jvm.config (docs/PERFORMANCE.md).");
            return new ScalarCpuKernels();
        }
    }
}
