import jdk.incubator.vector.*;
import java.util.concurrent.*;

/** Streamed bf16 tiles: current widen (256-bit load, S2I, shift) vs paired (512-bit load, shift / mask), rows 1, 4, 6. */
public class WidenBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final int L = 16, TILE = 64;
    static final VectorSpecies<Short> H256 = ShortVector.SPECIES_256, H512 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;

    static FloatVector widen(short[] w, int at) {
        return ((IntVector) ShortVector.fromArray(H256, w, at).convertShape(VectorOperators.S2I, I512, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static void rows4(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi), w1 = widen(w, wi + L), w2 = widen(w, wi + 2 * L), w3 = widen(w, wi + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[i]);
            a00 = w0.fma(b, a00); a01 = w1.fma(b, a01); a02 = w2.fma(b, a02); a03 = w3.fma(b, a03);
            b = FloatVector.broadcast(S, x[in + i]);
            a10 = w0.fma(b, a10); a11 = w1.fma(b, a11); a12 = w2.fma(b, a12); a13 = w3.fma(b, a13);
            b = FloatVector.broadcast(S, x[2 * in + i]);
            a20 = w0.fma(b, a20); a21 = w1.fma(b, a21); a22 = w2.fma(b, a22); a23 = w3.fma(b, a23);
            b = FloatVector.broadcast(S, x[3 * in + i]);
            a30 = w0.fma(b, a30); a31 = w1.fma(b, a31); a32 = w2.fma(b, a32); a33 = w3.fma(b, a33);
        }
        a00.add(a01).add(a02).add(a03).add(a10).add(a11).add(a12).add(a13).add(a20).add(a21).add(a22).add(a23)
                .add(a30).add(a31).add(a32).add(a33).intoArray(y, yOff);
    }

    static void rows4p(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            IntVector p0 = ShortVector.fromArray(H512, w, wi).reinterpretAsInts();
            IntVector p1 = ShortVector.fromArray(H512, w, wi + 2 * L).reinterpretAsInts();
            FloatVector w0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            FloatVector w2 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = p1.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            FloatVector b = FloatVector.broadcast(S, x[i]);
            a00 = w0.fma(b, a00); a01 = w1.fma(b, a01); a02 = w2.fma(b, a02); a03 = w3.fma(b, a03);
            b = FloatVector.broadcast(S, x[in + i]);
            a10 = w0.fma(b, a10); a11 = w1.fma(b, a11); a12 = w2.fma(b, a12); a13 = w3.fma(b, a13);
            b = FloatVector.broadcast(S, x[2 * in + i]);
            a20 = w0.fma(b, a20); a21 = w1.fma(b, a21); a22 = w2.fma(b, a22); a23 = w3.fma(b, a23);
            b = FloatVector.broadcast(S, x[3 * in + i]);
            a30 = w0.fma(b, a30); a31 = w1.fma(b, a31); a32 = w2.fma(b, a32); a33 = w3.fma(b, a33);
        }
        a00.add(a01).add(a02).add(a03).add(a10).add(a11).add(a12).add(a13).add(a20).add(a21).add(a22).add(a23)
                .add(a30).add(a31).add(a32).add(a33).intoArray(y, yOff);
    }

    static void rows1(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector b = FloatVector.broadcast(S, x[i]);
            a00 = widen(w, wi).fma(b, a00); a01 = widen(w, wi + L).fma(b, a01);
            a02 = widen(w, wi + 2 * L).fma(b, a02); a03 = widen(w, wi + 3 * L).fma(b, a03);
        }
        a00.add(a01).add(a02).add(a03).intoArray(y, yOff);
    }

    static void rows1p(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            IntVector p0 = ShortVector.fromArray(H512, w, wi).reinterpretAsInts();
            IntVector p1 = ShortVector.fromArray(H512, w, wi + 2 * L).reinterpretAsInts();
            FloatVector b = FloatVector.broadcast(S, x[i]);
            a00 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(b, a00);
            a01 = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(b, a01);
            a02 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(b, a02);
            a03 = p1.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(b, a03);
        }
        a00.add(a01).add(a02).add(a03).intoArray(y, yOff);
    }


    static float[] fbuf;
    static void sumF(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        // the same bytes as the bf16 tile, read as floats: in * TILE / 2 floats from wOff / 2
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int from = wOff / 2, n = in * TILE / 2;
        for (int i = 0; i < n; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, fbuf, from + i)); a1 = a1.add(FloatVector.fromArray(S, fbuf, from + i + L));
            a2 = a2.add(FloatVector.fromArray(S, fbuf, from + i + 2 * L)); a3 = a3.add(FloatVector.fromArray(S, fbuf, from + i + 3 * L));
        }
        a0.add(a1).add(a2).add(a3).intoArray(y, yOff);
    }
    static void sumS(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        IntVector a0 = IntVector.zero(I512), a1 = a0;
        for (int i = 0; i < in; i++) {
            int wi = wOff + i * TILE;
            a0 = a0.add(ShortVector.fromArray(H512, w, wi).reinterpretAsInts());
            a1 = a1.add(ShortVector.fromArray(H512, w, wi + 2 * L).reinterpretAsInts());
        }
        a0.add(a1).reinterpretAsFloats().intoArray(y, yOff);
    }

    static void sumS2(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        IntVector a0 = IntVector.zero(I512), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < in; i += 2) {
            int wi = wOff + i * TILE;
            a0 = a0.add(ShortVector.fromArray(H512, w, wi).reinterpretAsInts());
            a1 = a1.add(ShortVector.fromArray(H512, w, wi + 2 * L).reinterpretAsInts());
            a2 = a2.add(ShortVector.fromArray(H512, w, wi + 4 * L).reinterpretAsInts());
            a3 = a3.add(ShortVector.fromArray(H512, w, wi + 6 * L).reinterpretAsInts());
        }
        a0.add(a1).add(a2).add(a3).reinterpretAsFloats().intoArray(y, yOff);
    }
    static void rows1u(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        int i = 0;
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector b = FloatVector.broadcast(S, x[i]);
            FloatVector w0 = widen(w, wi), w1 = widen(w, wi + L), w2 = widen(w, wi + 2 * L), w3 = widen(w, wi + 3 * L);
            FloatVector v0 = widen(w, wi + TILE), v1 = widen(w, wi + TILE + L), v2 = widen(w, wi + TILE + 2 * L), v3 = widen(w, wi + TILE + 3 * L);
            FloatVector c = FloatVector.broadcast(S, x[i + 1]);
            a00 = w0.fma(b, a00); a01 = w1.fma(b, a01); a02 = w2.fma(b, a02); a03 = w3.fma(b, a03);
            a00 = v0.fma(c, a00); a01 = v1.fma(c, a01); a02 = v2.fma(c, a02); a03 = v3.fma(c, a03);
        }
        for (; i < in; i++) {
            int wi = wOff + i * TILE;
            FloatVector b = FloatVector.broadcast(S, x[i]);
            a00 = widen(w, wi).fma(b, a00); a01 = widen(w, wi + L).fma(b, a01);
            a02 = widen(w, wi + 2 * L).fma(b, a02); a03 = widen(w, wi + 3 * L).fma(b, a03);
        }
        a00.add(a01).add(a02).add(a03).intoArray(y, yOff);
    }

    static void rows4u(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int i = 0;
        for (; i + 1 < in; i += 2) {
            int wi = wOff + i * TILE;
            FloatVector w0 = widen(w, wi), w1 = widen(w, wi + L), w2 = widen(w, wi + 2 * L), w3 = widen(w, wi + 3 * L);
            FloatVector v0 = widen(w, wi + TILE), v1 = widen(w, wi + TILE + L), v2 = widen(w, wi + TILE + 2 * L), v3 = widen(w, wi + TILE + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[i]);
            a00 = w0.fma(b, a00); a01 = w1.fma(b, a01); a02 = w2.fma(b, a02); a03 = w3.fma(b, a03);
            b = FloatVector.broadcast(S, x[i + 1]);
            a00 = v0.fma(b, a00); a01 = v1.fma(b, a01); a02 = v2.fma(b, a02); a03 = v3.fma(b, a03);
            b = FloatVector.broadcast(S, x[in + i]);
            a10 = w0.fma(b, a10); a11 = w1.fma(b, a11); a12 = w2.fma(b, a12); a13 = w3.fma(b, a13);
            b = FloatVector.broadcast(S, x[in + i + 1]);
            a10 = v0.fma(b, a10); a11 = v1.fma(b, a11); a12 = v2.fma(b, a12); a13 = v3.fma(b, a13);
            b = FloatVector.broadcast(S, x[2 * in + i]);
            a20 = w0.fma(b, a20); a21 = w1.fma(b, a21); a22 = w2.fma(b, a22); a23 = w3.fma(b, a23);
            b = FloatVector.broadcast(S, x[2 * in + i + 1]);
            a20 = v0.fma(b, a20); a21 = v1.fma(b, a21); a22 = v2.fma(b, a22); a23 = v3.fma(b, a23);
            b = FloatVector.broadcast(S, x[3 * in + i]);
            a30 = w0.fma(b, a30); a31 = w1.fma(b, a31); a32 = w2.fma(b, a32); a33 = w3.fma(b, a33);
            b = FloatVector.broadcast(S, x[3 * in + i + 1]);
            a30 = v0.fma(b, a30); a31 = v1.fma(b, a31); a32 = v2.fma(b, a32); a33 = v3.fma(b, a33);
        }
        a00.add(a01).add(a02).add(a03).add(a10).add(a11).add(a12).add(a13).add(a20).add(a21).add(a22).add(a23)
                .add(a30).add(a31).add(a32).add(a33).intoArray(y, yOff);
    }
    interface K { void run(float[] x, int in, short[] w, int wOff, float[] y, int yOff, int ys); }

    public static void main(String[] a) throws Exception {
        // default: 4096 inputs x 512 tiles of 64 outputs (268 MB per matrix, 2 matrices alternate); args: inputs tiles
        int in = a.length > 0 ? Integer.parseInt(a[0]) : 4096, tiles = a.length > 1 ? Integer.parseInt(a[1]) : 512;
        short[][] ws = {new short[in * TILE * tiles], new short[in * TILE * tiles]};
        for (short[] w : ws) for (int i = 0; i < w.length; i++) w[i] = (short) (0x3c00 + (i * 31 % 255));
        float[] x = new float[6 * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        float[] y = new float[tiles * L];
        ExecutorService pool = Executors.newFixedThreadPool(2);
        String[] names = {"rows1", "rows1p", "rows4", "rows4p", "sumF", "sumS", "sumS2", "rows1u", "rows4u"};
        K[] ks = {WidenBench::rows1, WidenBench::rows1p, WidenBench::rows4, WidenBench::rows4p, WidenBench::sumF, WidenBench::sumS, WidenBench::sumS2, WidenBench::rows1u, WidenBench::rows4u};
        fbuf = new float[in * TILE * tiles / 2]; for (int i = 0; i < fbuf.length; i++) fbuf[i] = i % 7;
        double[][] t = new double[ks.length][];
        int reps = 15;
        for (int k = 0; k < ks.length; k++) t[k] = new double[reps];
        for (int r = 0; r < reps; r++) {
            for (int k = 0; k < ks.length; k++) {
                K kern = ks[k];
                short[] w = ws[r % 2];
                long t0 = System.nanoTime();
                Future<?> f1 = pool.submit(() -> { for (int tt = 0; tt < tiles / 2; tt++) kern.run(x, in, w, tt * in * TILE, y, tt * L, 0); });
                Future<?> f2 = pool.submit(() -> { for (int tt = tiles / 2; tt < tiles; tt++) kern.run(x, in, w, tt * in * TILE, y, tt * L, 0); });
                f1.get(); f2.get();
                t[k][r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        for (int k = 0; k < ks.length; k++) {
            double[] s = java.util.Arrays.copyOfRange(t[k], 3, reps);
            java.util.Arrays.sort(s);
            System.out.printf("%-7s median %.1f ms  (%.1f GB/s)%n", names[k], s[s.length / 2], (double) in * TILE * tiles * 2 / 1e6 / s[s.length / 2]);
        }
        pool.shutdown();
    }
}
