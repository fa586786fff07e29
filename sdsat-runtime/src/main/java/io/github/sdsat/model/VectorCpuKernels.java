package io.github.sdsat.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    /** Six-row blocks need 29 live vectors: only with AVX-512's 32 registers (AVX2 has 16 and would spill). */
    private static final boolean SIX_ROW_BLOCKS = S.vectorBitSize() >= 512;

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
        if (w.halves != null) {
            Bf16VectorTiles.matmul(x, rows, w, y, fromTile, toTile); // bfloat16 weights: same arithmetic per row
            return;
        }
        int in = w.in;
        int stride = w.paddedOut();
        float[] data = w.data;
        for (int t = fromTile; t < toTile; t++) {
            int base = t * in * TILE;
            int col = t * TILE;
            int r = 0;
            if (w.streamedFromMemory) {
                // A model several times the cache: the first walk of each tile comes from DRAM, where one core
                // sustains its bandwidth only with little work per loaded line; blocks of at most three rows keep
                // that first walk as fast as a one-row walk, and the later blocks re-read the tile from L2
                // (docs/PERFORMANCE.md: T(6)/T(1) on a 0.5 GB model).
                for (; rows - r > 3; r += rows - r == 4 ? 2 : 3) {
                    if (rows - r == 4) {
                        rows2(x, r * in, in, data, base, y, r * stride + col, stride);
                    } else {
                        rows3(x, r * in, in, data, base, y, r * stride + col, stride);
                    }
                }
            }
            // Each block of rows walks the whole tile, and a walk costs about the same for 1 to 6 rows (it is bound
            // by the tile's loads, not by the multiply-adds), so blocks are as large as the registers allow. Later
            // blocks re-read the tile from L1/L2, not from memory: the tile was just streamed.
            if (SIX_ROW_BLOCKS) {
                for (; rows - r >= 6 && rows - r != 8; r += 6) { // eight rows go as 4 + 4, not 6 + 2
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
            FloatVector.fromArray(S, x, xOff + i)
                    .fma(a, FloatVector.fromArray(S, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void scores(
            float[] q,
            int qOff,
            float[] keys,
            int keyOff,
            int stride,
            int[] slots,
            int slotsOff,
            int count,
            int width,
            float[] scores) {
        if (width == 4 * L) {
            // The common head size (64 with AVX-512, 32 with AVX2): the query stays in four registers.
            FloatVector q0 = FloatVector.fromArray(S, q, qOff);
            FloatVector q1 = FloatVector.fromArray(S, q, qOff + L);
            FloatVector q2 = FloatVector.fromArray(S, q, qOff + 2 * L);
            FloatVector q3 = FloatVector.fromArray(S, q, qOff + 3 * L);
            for (int j = 0; j < count; j++) {
                int k = keyOff + slots[slotsOff + j] * stride;
                FloatVector acc = q0.mul(FloatVector.fromArray(S, keys, k));
                acc = q1.fma(FloatVector.fromArray(S, keys, k + L), acc);
                acc = q2.fma(FloatVector.fromArray(S, keys, k + 2 * L), acc);
                acc = q3.fma(FloatVector.fromArray(S, keys, k + 3 * L), acc);
                scores[j] = acc.reduceLanes(VectorOperators.ADD);
            }
            return;
        }
        for (int j = 0; j < count; j++) {
            scores[j] = dot(q, qOff, keys, keyOff + slots[slotsOff + j] * stride, width);
        }
    }

    @Override
    public void weightedSum(
            float[] weights,
            int[] slots,
            int slotsOff,
            int count,
            float[] values,
            int valueOff,
            int stride,
            int width,
            float[] out,
            int outOff) {
        int d = 0;
        // Four output vectors at a time stay in registers across all j: out is written once.
        for (; d + 4 * L <= width; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int j = 0; j < count; j++) {
                FloatVector w = FloatVector.broadcast(S, weights[j]);
                int v = valueOff + slots[slotsOff + j] * stride + d;
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
                axpy(weights[j], values, valueOff + slots[slotsOff + j] * stride + d, out, outOff + d, width - d);
            }
        }
    }

    /**
     * Why a vector exp: the scalar {@link Math#exp} costs about 15 ns, and a pass row needs one per attended key and
     * head plus one per intermediate unit (about 7,000 on the embedded model at 255 cached tokens: ~0.1 ms, as much
     * as the row's share of the matrix products). {@link #exp} costs well under a nanosecond per value and gives the
     * tail's scalar {@link PolynomialExp#exp} bit for bit, so no entry's value depends on the lane it falls in.
     */
    @Override
    public void softmax(float[] x, int n) {
        int bound = S.loopBound(n);
        FloatVector maxes = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += L) {
            maxes = maxes.max(FloatVector.fromArray(S, x, j));
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, x[j]);
        }
        FloatVector sums = FloatVector.zero(S);
        for (j = 0; j < bound; j += L) {
            exp(x, j, 1f, max, x, j); // x[j ..] = exp(x - max), then summed as stored
            sums = sums.add(FloatVector.fromArray(S, x, j));
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            float e = PolynomialExp.exp(x[j] - max);
            x[j] = e;
            sum += e;
        }
        FloatVector total = FloatVector.broadcast(S, sum);
        for (j = 0; j < bound; j += L) {
            FloatVector.fromArray(S, x, j).div(total).intoArray(x, j);
        }
        for (; j < n; j++) {
            x[j] /= sum;
        }
    }

    @Override
    public void siluTimes(float[] in, int gateOff, int upOff, float[] out, int outOff, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        float[] expNegGate = new float[L]; // [L] exp(-gate) of one vector of gates (out may alias in)
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector gate = FloatVector.fromArray(S, in, gateOff + j);
            exp(in, gateOff + j, -1f, 0f, expNegGate, 0);
            FloatVector sigmoid = one.div(one.add(FloatVector.fromArray(S, expNegGate, 0)));
            gate.mul(sigmoid).mul(FloatVector.fromArray(S, in, upOff + j)).intoArray(out, outOff + j);
        }
        for (; j < n; j++) {
            float gate = in[gateOff + j];
            float sigmoid = 1f / (1f + PolynomialExp.exp(-gate)); // as the vector lanes: float, same exp
            out[outOff + j] = gate * sigmoid * in[upOff + j];
        }
    }

    /**
     * out[outOff + l] = exp(sign · x[xOff + l] - shift) for the L lanes l, exp being {@link PolynomialExp#exp}
     * lane-wise, operation for operation (see there for the steps and the accuracy). sign is 1 or -1 (exact), so the
     * lanes are exp(x - max) for softmax and exp(-gate) for SiLU, bit for bit.
     *
     * <p>Why arrays in and out, not a FloatVector: a helper that takes or returns a vector is fast only where C2
     * inlines it, and C2 stops inlining a method's callees once its graph is large (NodeCountInliningCutoff). In
     * CpuForward.forward, which inlines siluTimes, the former {@code exp(FloatVector)} was left a call after CostCurve's
     * roofline probe and pass curve (-XX:+LogCompilation), so every vector crossing it was boxed: AR of the embedded
     * model allocated about 4x as much per token (JFR) and ran slower than with the vector API's EXP
     * (docs/PERFORMANCE.md §7). With arrays and the constant species, this method's own compiled code is intrinsified
     * whether it is inlined or not.
     */
    static void exp(float[] x, int xOff, float sign, float shift, float[] out, int outOff) {
        FloatVector clamped = FloatVector.fromArray(S, x, xOff)
                .mul(sign)
                .sub(shift)
                .max(PolynomialExp.LOWEST)
                .min(PolynomialExp.HIGHEST);
        FloatVector shifted = clamped.fma(PolynomialExp.LOG2E, PolynomialExp.ROUND_MAGIC);
        FloatVector n = shifted.sub(PolynomialExp.ROUND_MAGIC);
        IntVector exponent = ((IntVector) shifted.reinterpretAsInts()).sub(PolynomialExp.ROUND_MAGIC_BITS);
        FloatVector r = n.fma(FloatVector.broadcast(S, -PolynomialExp.LN2_HI), clamped);
        r = n.fma(FloatVector.broadcast(S, -PolynomialExp.LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, PolynomialExp.P0).fma(r, FloatVector.broadcast(S, PolynomialExp.P1));
        p = p.fma(r, FloatVector.broadcast(S, PolynomialExp.P2));
        p = p.fma(r, FloatVector.broadcast(S, PolynomialExp.P3));
        p = p.fma(r, FloatVector.broadcast(S, PolynomialExp.P4));
        p = p.fma(r, FloatVector.broadcast(S, PolynomialExp.P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector half = exponent.lanewise(VectorOperators.ASHR, 1);
        FloatVector lowScale =
                (FloatVector) half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector highScale = (FloatVector)
                exponent.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        y.mul(lowScale).mul(highScale).intoArray(out, outOff);
    }

    /** 1 row of x times one tile; accumulators a[row][vector] stay in registers. */
    private static void rows1(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff, int yStride) {
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
    private static void rows2(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff, int yStride) {
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
    private static void rows3(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff, int yStride) {
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
    private static void rows4(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff, int yStride) {
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

    /** 6 rows of x times one tile (AVX-512 only: 24 accumulators + 4 weights fit its 32 vector registers). */
    private static void rows6(float[] x, int xOff, int in, float[] w, int wOff, float[] y, int yOff, int yStride) {
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
