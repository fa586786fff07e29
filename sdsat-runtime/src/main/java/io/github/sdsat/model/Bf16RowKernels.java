package io.github.sdsat.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row-block kernels of {@link Bf16VectorTiles}: 1 to 6 rows times one bfloat16 tile. Every kernel runs, per row
 * and lane, the same sequence of fused multiply-adds in increasing input order as {@link VectorCpuKernels}' float32
 * kernels on the same values, so a row's result does not depend on its block (docs/DESIGN.md, "shape-invariant
 * pass"), and a bfloat16 model gives bit for bit the logits of its values stored as float32.
 *
 * <p>Why unrolled, and why not shared with the float32 kernels: the JIT keeps the accumulators in registers only in
 * branch-free inner loops over named locals, and a shared kernel that widens each chunk into a float32 buffer for the
 * float32 kernels was measured slower (one-token pass 82-112 ms against 65 ms on a 2 GB model, 2 threads). They are
 * the float32 kernels with {@code FloatVector.fromArray(S, w, i)} replaced by {@link Bf16VectorTiles#widen}, plus a
 * 5-row kernel and the two-input step below; keep them in step.
 *
 * <p>Kernels of 1 to 5 rows take two inputs per iteration: eight weight vectors loaded before their multiply-adds,
 * each accumulator still adding input i before i + 1 (so the sums are those of one input at a time), then an odd last
 * input alone. On weights streamed from memory this is what lets the loads keep up with the memory: a 2-thread
 * microbenchmark of a 268 MB matrix read 49-61 GB/s with the 1-row kernel against 34-39 GB/s one input at a time, and
 * 55 against 41 GB/s with 4 rows (docs/performance/paper-scale/round4). The 6-row kernel keeps one input per
 * iteration: its 24 accumulators and 8 weight vectors would not fit AVX-512's 32 vector registers.
 */
final class Bf16RowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE = 4 * L;

    private Bf16RowKernels() {}

    /**
     * 1 row of x times one bfloat16 tile: y[yOff + c] = Σ_i x[xOff + i] · w[wOff + i·TILE + c], one fused
     * multiply-add per input in increasing i from zero. Accumulators a[row][vector] stay in registers; row r's
     * inputs are at {@code xOff + r·in}, its outputs at {@code yOff + r·yStride}.
     */
    static void rows1(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        int i = 0;
        // two inputs per iteration (class comment), then an odd last input alone
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
            FloatVector v0 = Bf16VectorTiles.widen(w, wi + TILE);
            FloatVector v1 = Bf16VectorTiles.widen(w, wi + TILE + 1 * L);
            FloatVector v2 = Bf16VectorTiles.widen(w, wi + TILE + 2 * L);
            FloatVector v3 = Bf16VectorTiles.widen(w, wi + TILE + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            FloatVector c0 = FloatVector.broadcast(S, x[xOff + i + 1]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            a00 = v0.fma(c0, a00);
            a01 = v1.fma(c0, a01);
            a02 = v2.fma(c0, a02);
            a03 = v3.fma(c0, a03);
        }
        for (; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
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

    /** 2 rows; see {@link #rows1}. */
    static void rows2(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        int i = 0;
        // two inputs per iteration (class comment), then an odd last input alone
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
            FloatVector v0 = Bf16VectorTiles.widen(w, wi + TILE);
            FloatVector v1 = Bf16VectorTiles.widen(w, wi + TILE + 1 * L);
            FloatVector v2 = Bf16VectorTiles.widen(w, wi + TILE + 2 * L);
            FloatVector v3 = Bf16VectorTiles.widen(w, wi + TILE + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector c0 = FloatVector.broadcast(S, x[xOff + i + 1]);
            a00 = v0.fma(c0, a00);
            a01 = v1.fma(c0, a01);
            a02 = v2.fma(c0, a02);
            a03 = v3.fma(c0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector c1 = FloatVector.broadcast(S, x[xOff + 1 * in + i + 1]);
            a10 = v0.fma(c1, a10);
            a11 = v1.fma(c1, a11);
            a12 = v2.fma(c1, a12);
            a13 = v3.fma(c1, a13);
        }
        for (; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
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

    /** 3 rows; see {@link #rows1}. */
    static void rows3(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
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
        int i = 0;
        // two inputs per iteration (class comment), then an odd last input alone
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
            FloatVector v0 = Bf16VectorTiles.widen(w, wi + TILE);
            FloatVector v1 = Bf16VectorTiles.widen(w, wi + TILE + 1 * L);
            FloatVector v2 = Bf16VectorTiles.widen(w, wi + TILE + 2 * L);
            FloatVector v3 = Bf16VectorTiles.widen(w, wi + TILE + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector c0 = FloatVector.broadcast(S, x[xOff + i + 1]);
            a00 = v0.fma(c0, a00);
            a01 = v1.fma(c0, a01);
            a02 = v2.fma(c0, a02);
            a03 = v3.fma(c0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector c1 = FloatVector.broadcast(S, x[xOff + 1 * in + i + 1]);
            a10 = v0.fma(c1, a10);
            a11 = v1.fma(c1, a11);
            a12 = v2.fma(c1, a12);
            a13 = v3.fma(c1, a13);
            FloatVector b2 = FloatVector.broadcast(S, x[xOff + 2 * in + i]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
            FloatVector c2 = FloatVector.broadcast(S, x[xOff + 2 * in + i + 1]);
            a20 = v0.fma(c2, a20);
            a21 = v1.fma(c2, a21);
            a22 = v2.fma(c2, a22);
            a23 = v3.fma(c2, a23);
        }
        for (; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
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

    /** 4 rows; see {@link #rows1}. */
    static void rows4(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
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
        int i = 0;
        // two inputs per iteration (class comment), then an odd last input alone
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
            FloatVector v0 = Bf16VectorTiles.widen(w, wi + TILE);
            FloatVector v1 = Bf16VectorTiles.widen(w, wi + TILE + 1 * L);
            FloatVector v2 = Bf16VectorTiles.widen(w, wi + TILE + 2 * L);
            FloatVector v3 = Bf16VectorTiles.widen(w, wi + TILE + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector c0 = FloatVector.broadcast(S, x[xOff + i + 1]);
            a00 = v0.fma(c0, a00);
            a01 = v1.fma(c0, a01);
            a02 = v2.fma(c0, a02);
            a03 = v3.fma(c0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector c1 = FloatVector.broadcast(S, x[xOff + 1 * in + i + 1]);
            a10 = v0.fma(c1, a10);
            a11 = v1.fma(c1, a11);
            a12 = v2.fma(c1, a12);
            a13 = v3.fma(c1, a13);
            FloatVector b2 = FloatVector.broadcast(S, x[xOff + 2 * in + i]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
            FloatVector c2 = FloatVector.broadcast(S, x[xOff + 2 * in + i + 1]);
            a20 = v0.fma(c2, a20);
            a21 = v1.fma(c2, a21);
            a22 = v2.fma(c2, a22);
            a23 = v3.fma(c2, a23);
            FloatVector b3 = FloatVector.broadcast(S, x[xOff + 3 * in + i]);
            a30 = w0.fma(b3, a30);
            a31 = w1.fma(b3, a31);
            a32 = w2.fma(b3, a32);
            a33 = w3.fma(b3, a33);
            FloatVector c3 = FloatVector.broadcast(S, x[xOff + 3 * in + i + 1]);
            a30 = v0.fma(c3, a30);
            a31 = v1.fma(c3, a31);
            a32 = v2.fma(c3, a32);
            a33 = v3.fma(c3, a33);
        }
        for (; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
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

    /** 5 rows (AVX-512 only: 20 accumulators + 4 weights); see {@link #rows1}. */
    static void rows5(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
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
        int i = 0;
        // two inputs per iteration (class comment), then an odd last input alone
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
            FloatVector v0 = Bf16VectorTiles.widen(w, wi + TILE);
            FloatVector v1 = Bf16VectorTiles.widen(w, wi + TILE + 1 * L);
            FloatVector v2 = Bf16VectorTiles.widen(w, wi + TILE + 2 * L);
            FloatVector v3 = Bf16VectorTiles.widen(w, wi + TILE + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xOff + i]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector c0 = FloatVector.broadcast(S, x[xOff + i + 1]);
            a00 = v0.fma(c0, a00);
            a01 = v1.fma(c0, a01);
            a02 = v2.fma(c0, a02);
            a03 = v3.fma(c0, a03);
            FloatVector b1 = FloatVector.broadcast(S, x[xOff + 1 * in + i]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector c1 = FloatVector.broadcast(S, x[xOff + 1 * in + i + 1]);
            a10 = v0.fma(c1, a10);
            a11 = v1.fma(c1, a11);
            a12 = v2.fma(c1, a12);
            a13 = v3.fma(c1, a13);
            FloatVector b2 = FloatVector.broadcast(S, x[xOff + 2 * in + i]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
            FloatVector c2 = FloatVector.broadcast(S, x[xOff + 2 * in + i + 1]);
            a20 = v0.fma(c2, a20);
            a21 = v1.fma(c2, a21);
            a22 = v2.fma(c2, a22);
            a23 = v3.fma(c2, a23);
            FloatVector b3 = FloatVector.broadcast(S, x[xOff + 3 * in + i]);
            a30 = w0.fma(b3, a30);
            a31 = w1.fma(b3, a31);
            a32 = w2.fma(b3, a32);
            a33 = w3.fma(b3, a33);
            FloatVector c3 = FloatVector.broadcast(S, x[xOff + 3 * in + i + 1]);
            a30 = v0.fma(c3, a30);
            a31 = v1.fma(c3, a31);
            a32 = v2.fma(c3, a32);
            a33 = v3.fma(c3, a33);
            FloatVector b4 = FloatVector.broadcast(S, x[xOff + 4 * in + i]);
            a40 = w0.fma(b4, a40);
            a41 = w1.fma(b4, a41);
            a42 = w2.fma(b4, a42);
            a43 = w3.fma(b4, a43);
            FloatVector c4 = FloatVector.broadcast(S, x[xOff + 4 * in + i + 1]);
            a40 = v0.fma(c4, a40);
            a41 = v1.fma(c4, a41);
            a42 = v2.fma(c4, a42);
            a43 = v3.fma(c4, a43);
        }
        for (; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
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
    }

    /** 6 rows (AVX-512 only: 24 accumulators + 4 weights fit its 32 vector registers); see {@link #rows1}. */
    static void rows6(float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
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
            FloatVector w0 = Bf16VectorTiles.widen(w, wi);
            FloatVector w1 = Bf16VectorTiles.widen(w, wi + 1 * L);
            FloatVector w2 = Bf16VectorTiles.widen(w, wi + 2 * L);
            FloatVector w3 = Bf16VectorTiles.widen(w, wi + 3 * L);
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
