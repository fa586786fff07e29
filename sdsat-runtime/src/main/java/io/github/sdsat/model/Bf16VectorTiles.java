package io.github.sdsat.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix product of {@link VectorCpuKernels} for weights stored as bfloat16 ({@link PackedMatrix#halves}): the
 * same tiles, the same row-block plan and, per row and lane, the same sequence of fused multiply-adds, with each
 * weight vector widened to float32 as it is loaded. Widening bfloat16 is exact (its bits are the high half of the
 * float32 value: zero-extend to int, shift left by 16, reinterpret as float), so a bfloat16 model gives bit for bit
 * the logits of the same values stored as float32 ({@code HalfPrecisionCheckpointTest}).
 *
 * <p>Why a class of its own and copies of the row kernels rather than one kernel with a dtype branch: the JIT keeps
 * the accumulators in registers only in branch-free inner loops ({@link VectorCpuKernels}), and the float32 kernels
 * must not slow down. The row kernels below are the float32 ones with {@code FloatVector.fromArray(S, w, i)} replaced
 * by {@link #widen}; keep them in step.
 */
final class Bf16VectorTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE = 4 * L;
    /** L bfloat16 values: half the float vector's bits (256-bit loads with AVX-512, 128-bit with AVX2). */
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /** L ints: the widened bit patterns before they are reinterpreted as floats. */
    private static final VectorSpecies<Integer> BITS =
            VectorSpecies.of(int.class, VectorShape.forBitSize(S.vectorBitSize()));
    /** As {@link VectorCpuKernels}: six-row blocks only with AVX-512's 32 vector registers. */
    private static final boolean SIX_ROW_BLOCKS = S.vectorBitSize() >= 512;

    private Bf16VectorTiles() {}

    /** Columns per tile: {@link VectorCpuKernels#tileWidth()}. */
    static int tileWidth() {
        return TILE;
    }

    /**
     * y = x · Wᵀ for the output tiles [fromTile, toTile) of a bfloat16 {@code w}; see {@link CpuKernels#matmul}. The
     * row blocks are those of {@link VectorCpuKernels#matmul} (a row's result does not depend on them: every block
     * kernel runs the same multiply-adds per row).
     */
    static void matmul(float[] x, int rows, PackedMatrix w, float[] y, int fromTile, int toTile) {
        if (w.tileWidth != TILE || w.halves == null) {
            throw new IllegalStateException("Matrix packed for tiles of " + w.tileWidth + " in "
                    + (w.halves == null ? "float32" : "bfloat16") + ", these kernels need bfloat16 tiles of " + TILE);
        }
        int in = w.in;
        int stride = w.paddedOut();
        short[] data = w.halves;
        for (int t = fromTile; t < toTile; t++) {
            int base = t * in * TILE;
            int col = t * TILE;
            int r = 0;
            if (w.streamedFromMemory) {
                for (; rows - r > 3; r += rows - r == 4 ? 2 : 3) {
                    if (rows - r == 4) {
                        rows2(x, r * in, in, data, base, y, r * stride + col, stride);
                    } else {
                        rows3(x, r * in, in, data, base, y, r * stride + col, stride);
                    }
                }
            }
            if (SIX_ROW_BLOCKS) {
                for (; rows - r >= 6 && rows - r != 8; r += 6) {
                    rows6(x, r * in, in, data, base, y, r * stride + col, stride);
                }
            }
            for (; r + 4 <= rows; r += 4) {
                rows4(x, r * in, in, data, base, y, r * stride + col, stride);
            }
            switch (rows - r) {
                case 3:
                    rows3(x, r * in, in, data, base, y, r * stride + col, stride);
                    break;
                case 2:
                    rows2(x, r * in, in, data, base, y, r * stride + col, stride);
                    break;
                case 1:
                    rows1(x, r * in, in, data, base, y, r * stride + col, stride);
                    break;
                default:
                    break;
            }
        }
    }

    /**
     * L bfloat16 weights from {@code w[at ..]} as float32, exactly: the shorts are widened to ints (sign-extended,
     * but the shift drops those bits), shifted into the high half, and the bits read as floats.
     */
    static FloatVector widen(short[] w, int at) {
        return ((IntVector) ShortVector.fromArray(HALVES, w, at).convertShape(VectorOperators.S2I, BITS, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /** 1 row of x times one bfloat16 tile; accumulators a[row][vector] stay in registers. */
    private static void rows1(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi);
            FloatVector w1 = widen(w, wi + 1 * L);
            FloatVector w2 = widen(w, wi + 2 * L);
            FloatVector w3 = widen(w, wi + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
        }
        a00.intoArray(y, yOff);
        a01.intoArray(y, yOff + 1 * L);
        a02.intoArray(y, yOff + 2 * L);
        a03.intoArray(y, yOff + 3 * L);
    }

    /** 2 rows of x times one bfloat16 tile; accumulators a[row][vector] stay in registers. */
    private static void rows2(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi);
            FloatVector w1 = widen(w, wi + 1 * L);
            FloatVector w2 = widen(w, wi + 2 * L);
            FloatVector w3 = widen(w, wi + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
        }
        a00.intoArray(y, yOff);
        a01.intoArray(y, yOff + 1 * L);
        a02.intoArray(y, yOff + 2 * L);
        a03.intoArray(y, yOff + 3 * L);
        a10.intoArray(y, yOff + 1 * yStride);
        a11.intoArray(y, yOff + 1 * yStride + 1 * L);
        a12.intoArray(y, yOff + 1 * yStride + 2 * L);
        a13.intoArray(y, yOff + 1 * yStride + 3 * L);
    }

    /** 3 rows of x times one bfloat16 tile; accumulators a[row][vector] stay in registers. */
    private static void rows3(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi);
            FloatVector w1 = widen(w, wi + 1 * L);
            FloatVector w2 = widen(w, wi + 2 * L);
            FloatVector w3 = widen(w, wi + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector b2 = FloatVector.broadcast(S, x[xOff + 2 * in + i]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
        }
        a00.intoArray(y, yOff);
        a01.intoArray(y, yOff + 1 * L);
        a02.intoArray(y, yOff + 2 * L);
        a03.intoArray(y, yOff + 3 * L);
        a10.intoArray(y, yOff + 1 * yStride);
        a11.intoArray(y, yOff + 1 * yStride + 1 * L);
        a12.intoArray(y, yOff + 1 * yStride + 2 * L);
        a13.intoArray(y, yOff + 1 * yStride + 3 * L);
        a20.intoArray(y, yOff + 2 * yStride);
        a21.intoArray(y, yOff + 2 * yStride + 1 * L);
        a22.intoArray(y, yOff + 2 * yStride + 2 * L);
        a23.intoArray(y, yOff + 2 * yStride + 3 * L);
    }

    /** 4 rows of x times one bfloat16 tile; accumulators a[row][vector] stay in registers. */
    private static void rows4(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S);
        FloatVector a31 = FloatVector.zero(S);
        FloatVector a32 = FloatVector.zero(S);
        FloatVector a33 = FloatVector.zero(S);
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi);
            FloatVector w1 = widen(w, wi + 1 * L);
            FloatVector w2 = widen(w, wi + 2 * L);
            FloatVector w3 = widen(w, wi + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector b2 = FloatVector.broadcast(S, x[xOff + 2 * in + i]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
            FloatVector b3 = FloatVector.broadcast(S, x[xOff + 3 * in + i]);
            a30 = w0.fma(b3, a30);
            a31 = w1.fma(b3, a31);
            a32 = w2.fma(b3, a32);
            a33 = w3.fma(b3, a33);
        }
        a00.intoArray(y, yOff);
        a01.intoArray(y, yOff + 1 * L);
        a02.intoArray(y, yOff + 2 * L);
        a03.intoArray(y, yOff + 3 * L);
        a10.intoArray(y, yOff + 1 * yStride);
        a11.intoArray(y, yOff + 1 * yStride + 1 * L);
        a12.intoArray(y, yOff + 1 * yStride + 2 * L);
        a13.intoArray(y, yOff + 1 * yStride + 3 * L);
        a20.intoArray(y, yOff + 2 * yStride);
        a21.intoArray(y, yOff + 2 * yStride + 1 * L);
        a22.intoArray(y, yOff + 2 * yStride + 2 * L);
        a23.intoArray(y, yOff + 2 * yStride + 3 * L);
        a30.intoArray(y, yOff + 3 * yStride);
        a31.intoArray(y, yOff + 3 * yStride + 1 * L);
        a32.intoArray(y, yOff + 3 * yStride + 2 * L);
        a33.intoArray(y, yOff + 3 * yStride + 3 * L);
    }

    /** 6 rows of x times one bfloat16 tile (AVX-512 only: 24 accumulators + 4 weights fit its 32 vector registers). */
    private static void rows6(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S);
        FloatVector a31 = FloatVector.zero(S);
        FloatVector a32 = FloatVector.zero(S);
        FloatVector a33 = FloatVector.zero(S);
        FloatVector a40 = FloatVector.zero(S);
        FloatVector a41 = FloatVector.zero(S);
        FloatVector a42 = FloatVector.zero(S);
        FloatVector a43 = FloatVector.zero(S);
        FloatVector a50 = FloatVector.zero(S);
        FloatVector a51 = FloatVector.zero(S);
        FloatVector a52 = FloatVector.zero(S);
        FloatVector a53 = FloatVector.zero(S);
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi);
            FloatVector w1 = widen(w, wi + 1 * L);
            FloatVector w2 = widen(w, wi + 2 * L);
            FloatVector w3 = widen(w, wi + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector b2 = FloatVector.broadcast(S, x[xOff + 2 * in + i]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
            FloatVector b3 = FloatVector.broadcast(S, x[xOff + 3 * in + i]);
            a30 = w0.fma(b3, a30);
            a31 = w1.fma(b3, a31);
            a32 = w2.fma(b3, a32);
            a33 = w3.fma(b3, a33);
            FloatVector b4 = FloatVector.broadcast(S, x[xOff + 4 * in + i]);
            a40 = w0.fma(b4, a40);
            a41 = w1.fma(b4, a41);
            a42 = w2.fma(b4, a42);
            a43 = w3.fma(b4, a43);
            FloatVector b5 = FloatVector.broadcast(S, x[xOff + 5 * in + i]);
            a50 = w0.fma(b5, a50);
            a51 = w1.fma(b5, a51);
            a52 = w2.fma(b5, a52);
            a53 = w3.fma(b5, a53);
        }
        a00.intoArray(y, yOff);
        a01.intoArray(y, yOff + 1 * L);
        a02.intoArray(y, yOff + 2 * L);
        a03.intoArray(y, yOff + 3 * L);
        a10.intoArray(y, yOff + 1 * yStride);
        a11.intoArray(y, yOff + 1 * yStride + 1 * L);
        a12.intoArray(y, yOff + 1 * yStride + 2 * L);
        a13.intoArray(y, yOff + 1 * yStride + 3 * L);
        a20.intoArray(y, yOff + 2 * yStride);
        a21.intoArray(y, yOff + 2 * yStride + 1 * L);
        a22.intoArray(y, yOff + 2 * yStride + 2 * L);
        a23.intoArray(y, yOff + 2 * yStride + 3 * L);
        a30.intoArray(y, yOff + 3 * yStride);
        a31.intoArray(y, yOff + 3 * yStride + 1 * L);
        a32.intoArray(y, yOff + 3 * yStride + 2 * L);
        a33.intoArray(y, yOff + 3 * yStride + 3 * L);
        a40.intoArray(y, yOff + 4 * yStride);
        a41.intoArray(y, yOff + 4 * yStride + 1 * L);
        a42.intoArray(y, yOff + 4 * yStride + 2 * L);
        a43.intoArray(y, yOff + 4 * yStride + 3 * L);
        a50.intoArray(y, yOff + 5 * yStride);
        a51.intoArray(y, yOff + 5 * yStride + 1 * L);
        a52.intoArray(y, yOff + 5 * yStride + 2 * L);
        a53.intoArray(y, yOff + 5 * yStride + 3 * L);
    }
}
