package io.github.sdsat.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bfloat16 matmul of the 7B shape's layers (qkv 12288x4096, o 4096x4096, gate/up 22016x4096, down 4096x11008),
 * streamed from memory (two layers, 800 MB), per pass width and input-chunk variant, alternating the variants in one
 * process; plus a cached set (one tile per thread, 2048 inputs: 256 KB per core) for the kernels' compute rate.
 * Args: layers rounds widths(csv) variants(csv). A variant is an int written to {@code Bf16VectorTiles.widePlan}
 * before each measurement: the A/B of docs/performance/paper-scale/round5 added that field to the kernels for the
 * run (0 = 2-3-row blocks for streamed weights, 1 = the largest blocks, 2 = balanced blocks); on main, which has no
 * such field, delete the assignment and pass one variant, 0.
 */
public class KernelShapes {
    static long seed = 0x9E3779B97F4A7C15L;

    static PackedMatrix matrix(int out, int in) {
        PackedMatrix m = PackedMatrix.allocate(out, in, Bf16VectorTiles.tileWidth(), true);
        short[] h = m.halves;
        for (int i = 0; i < h.length; i++) {
            seed ^= seed << 13; seed ^= seed >>> 7; seed ^= seed << 17;
            float v = ((seed >>> 40) / (float) (1 << 24) - 0.5f) * 0.05f;
            h[i] = (short) (Float.floatToRawIntBits(v) >>> 16);
        }
        m.streamedFromMemory = true;
        return m;
    }

    public static void main(String[] a) {
        int layers = Integer.parseInt(a[0]);
        int rounds = Integer.parseInt(a[1]);
        int[] widths = Arrays.stream(a[2].split(",")).mapToInt(Integer::parseInt).toArray();
        int[] chunks = Arrays.stream(a[3].split(",")).mapToInt(Integer::parseInt).toArray();
        List<PackedMatrix> ms = new ArrayList<>();
        String[] names = {"qkv", "o", "gateUp", "down"};
        for (int l = 0; l < layers; l++) {
            ms.add(matrix(12288, 4096));
            ms.add(matrix(4096, 4096));
            ms.add(matrix(22016, 4096));
            ms.add(matrix(4096, 11008));
        }
        PackedMatrix cached = matrix(128, 2048);
        long bytes = 0;
        for (PackedMatrix m : ms) bytes += 2L * m.halves.length;
        int maxRows = Arrays.stream(widths).max().getAsInt();
        float[] x = new float[maxRows * 11008];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * 0.5f;
        float[] y = new float[maxRows * 22016];
        try (CpuWorkers workers = new CpuWorkers(2)) {
            // per width, chunk: times of the streamed set (ms) and per-matrix-kind times
            double[][][] times = new double[widths.length][chunks.length][rounds];
            double[][][][] kind = new double[widths.length][chunks.length][4][rounds];
            double[][][] cachedRate = new double[widths.length][chunks.length][rounds];
            for (int round = -1; round < rounds; round++) {
                for (int wi = 0; wi < widths.length; wi++) {
                    int rows = widths[wi];
                    for (int ci = 0; ci < chunks.length; ci++) {
                        Bf16VectorTiles.widePlan = chunks[ci];
                        long total = 0;
                        long[] k = new long[4];
                        for (int mi = 0; mi < ms.size(); mi++) {
                            PackedMatrix m = ms.get(mi);
                            long t0 = System.nanoTime();
                            workers.forRange(m.tiles, (f, t) -> Bf16VectorTiles.matmul(x, rows, m, y, f, t));
                            long dt = System.nanoTime() - t0;
                            total += dt;
                            k[mi % 4] += dt;
                        }
                        int reps = 400;
                        long c0 = System.nanoTime();
                        for (int r = 0; r < reps; r++) {
                            workers.forRange(cached.tiles, (f, t) -> Bf16VectorTiles.matmul(x, rows, cached, y, f, t));
                        }
                        long cdt = System.nanoTime() - c0;
                        if (round >= 0) {
                            times[wi][ci][round] = total / 1e6;
                            for (int q = 0; q < 4; q++) kind[wi][ci][q][round] = k[q] / 1e6;
                            cachedRate[wi][ci][round] = 2.0 * cached.halves.length * reps / cdt;
                        }
                    }
                }
            }
            System.out.printf("streamed set %.0f MB, %d rounds; GB/s of weights (median), per kind, cached-set GB/s%n",
                    bytes / 1e6, rounds);
            double[] kindBytes = new double[4];
            for (int mi = 0; mi < ms.size(); mi++) kindBytes[mi % 4] += 2.0 * ms.get(mi).halves.length;
            for (int wi = 0; wi < widths.length; wi++) {
                for (int ci = 0; ci < chunks.length; ci++) {
                    StringBuilder sb = new StringBuilder(String.format("rows %d plan %d: all %5.1f GB/s (%6.1f ms)",
                            widths[wi], chunks[ci], bytes / 1e6 / median(times[wi][ci]), median(times[wi][ci])));
                    for (int q = 0; q < 4; q++) {
                        sb.append(String.format("  %s %5.1f", names[q], kindBytes[q] / 1e6 / median(kind[wi][ci][q])));
                    }
                    sb.append(String.format("  cached %5.1f", median(cachedRate[wi][ci])));
                    System.out.println(sb);
                }
            }
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
