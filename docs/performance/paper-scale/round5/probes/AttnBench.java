package io.github.sdsat.model;

import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention of a 7B-shaped pass (32 layers x 32 heads of 128, slot-major KV) at C cached tokens for widths 1 and 4:
 * CpuAttention.attend against a slot-blocked loop (B slots of one head scored / summed for every row before the next
 * block), alternating in one process; checks the two give the same floats. Args: cached rounds blockSlots
 */
public class AttnBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    public static void main(String[] a) {
        int cached = Integer.parseInt(a[0]);
        int rounds = Integer.parseInt(a[1]);
        int block = Integer.parseInt(a[2]);
        LlamaConfig c = new LlamaConfig(4096, 11008, 32, 32, 32, 128, 4096, 1e-5, 10000.0, 4096, false, 1, List.of(2),
                "bfloat16");
        CpuKernels kernels = CpuKernels.best();
        int layers = 32, kvRow = 4096, qkvStride = 12288, maxN = 4;
        int capacity = cached + 16;
        java.util.Random rnd = new java.util.Random(3);
        float[][] keys = new float[layers][capacity * kvRow];
        float[][] values = new float[layers][capacity * kvRow];
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < keys[l].length; i++) {
                keys[l][i] = (float) rnd.nextGaussian() * 0.1f;
                values[l][i] = (float) rnd.nextGaussian();
            }
        }
        float[] qkvOut = new float[maxN * qkvStride];
        for (int i = 0; i < qkvOut.length; i++) qkvOut[i] = (float) rnd.nextGaussian();
        float[] outA = new float[maxN * 4096], outB = new float[maxN * 4096], outC = new float[maxN * 4096];
        float[][] hkeys = new float[layers][], hvalues = new float[layers][];
        for (int l = 0; l < layers; l++) { hkeys[l] = headMajor(keys[l], capacity); hvalues[l] = headMajor(values[l], capacity); }
        try (CpuWorkers workers = new CpuWorkers(2)) {
            int[] widths = {1, 4};
            double[][][] t = new double[2][3][rounds];
            for (int r = -3; r < rounds; r++) {
                for (int wi = 0; wi < 2; wi++) {
                    int n = widths[wi];
                    for (int v = 0; v < 3; v++) {
                        CpuAttention att = new CpuAttention(c, kernels);
                        int[] rowSlots = att.listVisibleKeys(n, cached, null);
                        float[] out = v == 0 ? outA : v == 1 ? outB : outC;
                        int vv0 = v;
                        long t0 = System.nanoTime();
                        for (int l = 0; l < layers; l++) {
                            float[] k = keys[l], vv = values[l];
                            if (v == 0) {
                                workers.forRange(c.numHeads(), (f, to) ->
                                        att.attend(f, to, n, cached, null, rowSlots, qkvStride, k, vv, qkvOut, out));
                            } else if (vv0 == 1) {
                                workers.forRange(c.numHeads(), (f, to) -> blocked(att, kernels, c, f, to, n, cached,
                                        rowSlots, qkvStride, k, vv, qkvOut, out, block, 4096, 128));
                            } else {
                                float[] hk = hkeys[l], hv = hvalues[l];
                                workers.forRange(c.numHeads(), (f, to) -> blocked(att, kernels, c, f, to, n, cached,
                                        rowSlots, qkvStride, hk, hv, qkvOut, out, block, 128, capacity * 128));
                            }
                        }
                        double ms = (System.nanoTime() - t0) / 1e6;
                        if (r >= 0) t[wi][v][r] = ms;
                    }
                    if (!Arrays.equals(outA, 0, n * 4096, outB, 0, n * 4096) || !Arrays.equals(outA, 0, n * 4096, outC, 0, n * 4096)) {
                        throw new AssertionError("blocked attention differs at width " + n);
                    }
                }
            }
            for (int wi = 0; wi < 2; wi++) {
                System.out.printf("cached %d width %d: attend %.2f ms, blocked(%d) %.2f ms, blocked head-major %.2f ms (32 layers, median of %d)%n",
                        cached, widths[wi], med(t[wi][0]), block, med(t[wi][1]), med(t[wi][2]), rounds);
            }
        }
    }

    static float[] headMajor(float[] slotMajor, int capacity) {
        float[] out = new float[slotMajor.length];
        for (int s = 0; s < capacity; s++) for (int h = 0; h < 32; h++)
            System.arraycopy(slotMajor, s * 4096 + h * 128, out, h * capacity * 128 + s * 128, 128);
        return out;
    }

    static double med(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static void blocked(CpuAttention att, CpuKernels kernels, LlamaConfig config, int from, int to, int n, int cached,
            int[] rowSlots, int qkvStride, float[] keys, float[] values, float[] qkvOut, float[] attention, int B, int kvRowStride, int headStride) {
        int headDim = config.headDim();
        int kvHeads = config.numKvHeads();
        int group = config.numHeads() / kvHeads;
        int total = cached + n;
        int kvRow = kvHeads * headDim;
        int width = config.attentionSize();
        float[] scores = new float[n * total];
        float[] tmp = new float[total];
        int[] start = new int[n];
        int[] count = new int[n];
        for (int i = 0; i < n; i++) { count[i] = cached + i + 1; } // unmasked lists: slots 0..cached+i
        for (int h = from; h < to; h++) {
            int kvHead = h / group;
            for (int jb = 0; jb < total; jb += B) {
                for (int i = 0; i < n; i++) {
                    int e = Math.min(count[i], jb + B);
                    if (e > jb) {
                        kernels.scores(qkvOut, i * qkvStride + h * headDim, keys, kvHead * headStride, kvRowStride, rowSlots,
                                jb, e - jb, headDim, tmp);
                        System.arraycopy(tmp, 0, scores, i * total + jb, e - jb);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                System.arraycopy(scores, i * total, tmp, 0, count[i]);
                kernels.softmax(tmp, count[i]);
                System.arraycopy(tmp, 0, scores, i * total, count[i]);
            }
            for (int jb = 0; jb < total; jb += B) {
                for (int i = 0; i < n; i++) {
                    int e = Math.min(count[i], jb + B);
                    if (e <= jb) continue;
                    int outOff = i * width + h * headDim;
                    for (int d = 0; d < headDim; d += 4 * L) {
                        FloatVector a0 = jb == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, attention, outOff + d);
                        FloatVector a1 = jb == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, attention, outOff + d + L);
                        FloatVector a2 = jb == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, attention, outOff + d + 2 * L);
                        FloatVector a3 = jb == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, attention, outOff + d + 3 * L);
                        for (int j = jb; j < e; j++) {
                            FloatVector w = FloatVector.broadcast(S, scores[i * total + j]);
                            int v = kvHead * headStride + j * kvRowStride + d;
                            a0 = FloatVector.fromArray(S, values, v).fma(w, a0);
                            a1 = FloatVector.fromArray(S, values, v + L).fma(w, a1);
                            a2 = FloatVector.fromArray(S, values, v + 2 * L).fma(w, a2);
                            a3 = FloatVector.fromArray(S, values, v + 3 * L).fma(w, a3);
                        }
                        a0.intoArray(attention, outOff + d);
                        a1.intoArray(attention, outOff + d + L);
                        a2.intoArray(attention, outOff + d + 2 * L);
                        a3.intoArray(attention, outOff + d + 3 * L);
                    }
                }
            }
        }
    }
}
