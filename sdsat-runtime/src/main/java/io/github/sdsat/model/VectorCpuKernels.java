package io.github.sdsat.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on Java's vector API (the widest species the CPU has: 16 floats with AVX-512, 8 with AVX2).
 *
 * <p>The matrix product walks each packed weight tile ({@link PackedMatrix}: [in][4 vectors]) once per block of up to
 * four rows: per input index it loads four weight vectors, broadcasts one x value per row, and does 4 × rows fused
 * multiply-adds into accumulators that stay in registers (16 of them at four rows). No horizontal reduction is needed
 * because the tile's columns are the vector lanes. One method per row count, without branches in the inner loop:
 * the JIT keeps vectors in registers only in such loops (a row-count branch inside ran 5x slower when measured).
 */
final class VectorCpuKernels implements CpuKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE = 4 * L;

    @Override
    public int tileWidth() {
        return TILE;
    }

    @Override
    public String name() {
        return "vector (" + S.vectorBitSize() + "-bit)";
    }

    @Override
    public void matmul(float[] x, int rows, PackedMatrix w, float[] y, int fromTile, int toTile) {
        if (w.tileWidth != TILE) {
            throw new IllegalStateException("Matrix packed for tiles of " + w.tileWidth + ", kernels need " + TILE);
        }
        int in = w.in;
        int stride = w.paddedOut();
        float[] data = w.data;
        for (int t = fromTile; t < toTile; t++) {
            int base = t * in * TILE;
            int col = t * TILE;
            int r = 0;
            // Row blocks of four re-read the tile from L1/L2, not from memory: the tile was just streamed.
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

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void scores(float[] q, int qOff, float[] keys, int keyOff, int stride, int count, int width,
            float[] scores) {
        if (width == 4 * L) {
            // The common head size (64 with AVX-512, 32 with AVX2): the query stays in four registers.
            FloatVector q0 = FloatVector.fromArray(S, q, qOff);
            FloatVector q1 = FloatVector.fromArray(S, q, qOff + L);
            FloatVector q2 = FloatVector.fromArray(S, q, qOff + 2 * L);
            FloatVector q3 = FloatVector.fromArray(S, q, qOff + 3 * L);
            for (int j = 0; j < count; j++) {
                int k = keyOff + j * stride;
                FloatVector acc = q0.mul(FloatVector.fromArray(S, keys, k));
                acc = q1.fma(FloatVector.fromArray(S, keys, k + L), acc);
                acc = q2.fma(FloatVector.fromArray(S, keys, k + 2 * L), acc);
                acc = q3.fma(FloatVector.fromArray(S, keys, k + 3 * L), acc);
                scores[j] = acc.reduceLanes(VectorOperators.ADD);
            }
            return;
        }
        for (int j = 0; j < count; j++) {
            scores[j] = dot(q, qOff, keys, keyOff + j * stride, width);
        }
    }

    @Override
    public void weightedSum(float[] weights, int count, float[] values, int valueOff, int stride, int width,
            float[] out, int outOff) {
        int d = 0;
        // Four output vectors at a time stay in registers across all j: out is written once.
        for (; d + 4 * L <= width; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int j = 0; j < count; j++) {
                FloatVector w = FloatVector.broadcast(S, weights[j]);
                int v = valueOff + j * stride + d;
                a0 = FloatVector.fromArray(S, values, v).fma(w, a0);
                a1 = FloatVector.fromArray(S, values, v + L).fma(w, a1);
                a2 = FloatVector.fromArray(S, values, v + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(S, values, v + 3 * L).fma(w, a3);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + L);
            a2.intoArray(out, outOff + d + 2 * L);
            a3.intoArray(out, outOff + d + 3 * L);
        }
        if (d < width) {
            java.util.Arrays.fill(out, outOff + d, outOff + width, 0f);
            for (int j = 0; j < count; j++) {
                axpy(weights[j], values, valueOff + j * stride + d, out, outOff + d, width - d);
            }
        }
    }

    /** 1 row of x times one tile; accumulators a[row][vector] stay in registers. */
    private static void rows1(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff,
            int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = FloatVector.fromArray(S, w, wi);
            FloatVector w1 = FloatVector.fromArray(S, w, wi + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, w, wi + 3 * L);
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

    /** 2 rows of x times one tile; accumulators a[row][vector] stay in registers. */
    private static void rows2(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff,
            int yStride) {
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
            FloatVector w0 = FloatVector.fromArray(S, w, wi);
            FloatVector w1 = FloatVector.fromArray(S, w, wi + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, w, wi + 3 * L);
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

    /** 3 rows of x times one tile; accumulators a[row][vector] stay in registers. */
    private static void rows3(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff,
            int yStride) {
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
            FloatVector w0 = FloatVector.fromArray(S, w, wi);
            FloatVector w1 = FloatVector.fromArray(S, w, wi + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, w, wi + 3 * L);
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

    /** 4 rows of x times one tile; accumulators a[row][vector] stay in registers. */
    private static void rows4(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff,
            int yStride) {
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
            FloatVector w0 = FloatVector.fromArray(S, w, wi);
            FloatVector w1 = FloatVector.fromArray(S, w, wi + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, w, wi + 3 * L);
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
}
