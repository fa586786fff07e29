package io.github.sdsat.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How {@link Roofline} measures: best-of-rounds read bandwidth over prefixes of one buffer and FMA throughput, with
 * every thread count started together on one latch, the vector-API loops ({@link RooflineVectorKernels}) or the
 * plain ones ({@link RooflineScalarKernels}).
 */
final class RooflineMeasurement {
    /** Sink for kernel results, so the JIT cannot drop the loops as dead code. */
    private static volatile float sink;

    private RooflineMeasurement() {}

    /** Measures with the chosen kernels ({@code vector} must only be true when the module is present). */
    static Roofline measure(Roofline.Settings settings, boolean vector) {
        long start = System.nanoTime();
        long largest =
                settings.bufferBytes().stream().mapToLong(Long::longValue).max().orElseThrow();
        int maxThreads =
                settings.threads().stream().mapToInt(Integer::intValue).max().orElseThrow();
        // one buffer, its prefixes serve the smaller sizes: the largest alone is all the memory this needs
        float[] buffer = new float[Math.toIntExact(largest / Float.BYTES)]; // [largest / 4] floats
        Arrays.fill(buffer, 1f); // touch every page now, not in the first timed repetition
        ExecutorService pool = Executors.newFixedThreadPool(maxThreads, r -> {
            Thread t = new Thread(r, "roofline");
            t.setDaemon(true);
            return t;
        });
        try {
            warmUp(buffer, vector);
            // every setting once per round, best round per setting: a burst of load from other processes on a
            // shared machine then spoils one round of every setting, never all rounds of one setting
            List<long[]> bandwidthSettings = new ArrayList<>(); // {bytes, threads}
            for (long bytes : settings.bufferBytes()) {
                for (int threads : settings.threads()) {
                    bandwidthSettings.add(new long[] {bytes, threads});
                }
            }
            double[] bestBandwidth = new double[bandwidthSettings.size()]; // [settings] bytes/s
            double[] bestFma = new double[settings.threads().size()]; // [thread counts] FLOP/s
            for (int round = 0; round < settings.maxRounds(); round++) {
                if (round >= 3 && (System.nanoTime() - start) / 1e9 > settings.seconds()) {
                    break;
                }
                for (int i = 0; i < bandwidthSettings.size(); i++) {
                    long[] s = bandwidthSettings.get(i);
                    bestBandwidth[i] = Math.max(
                            bestBandwidth[i],
                            bandwidthOnce(pool, buffer, s[0], (int) s[1], settings.bytesPerRepetition(), vector));
                }
                for (int i = 0; i < bestFma.length; i++) {
                    bestFma[i] = Math.max(
                            bestFma[i], fmaOnce(pool, settings.threads().get(i), vector));
                }
            }
            List<Roofline.Bandwidth> bandwidth = new ArrayList<>();
            for (int i = 0; i < bandwidthSettings.size(); i++) {
                long[] s = bandwidthSettings.get(i);
                bandwidth.add(new Roofline.Bandwidth(s[0], (int) s[1], bestBandwidth[i] / 1e9));
            }
            List<Roofline.Fma> fma = new ArrayList<>();
            for (int i = 0; i < bestFma.length; i++) {
                fma.add(new Roofline.Fma(settings.threads().get(i), bestFma[i] / 1e9));
            }
            return new Roofline(
                    vector ? Roofline.VECTOR : Roofline.SCALAR,
                    vector ? RooflineVectorKernels.bits() : Float.SIZE,
                    bandwidth,
                    fma,
                    (System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Gets both kernels compiled by C2 before anything is timed (the best round would otherwise be wasted). */
    private static void warmUp(float[] buffer, boolean vector) {
        int chunk = Math.min(buffer.length, 16_384);
        float s = 0;
        for (int i = 0; i < 3_000; i++) {
            s += vector ? RooflineVectorKernels.sum(buffer, 0, chunk) : RooflineScalarKernels.sum(buffer, 0, chunk);
            s += vector ? RooflineVectorKernels.fma(200, s) : RooflineScalarKernels.fma(200, s);
        }
        sink = s;
    }

    /** Bytes/s of one repetition reading the first {@code bytes} of the buffer, split among {@code threads}. */
    private static double bandwidthOnce(
            ExecutorService pool, float[] buffer, long bytes, int threads, long bytesPerRepetition, boolean vector) {
        int elements = Math.toIntExact(bytes / Float.BYTES);
        // small buffers are read several times per repetition (see Settings.bytesPerRepetition)
        int passes = (int) Math.max(1, Math.round((double) bytesPerRepetition / bytes));
        long[] bounds = new long[threads + 1]; // [threads + 1] element offsets, aligned to whole vectors
        for (int t = 0; t <= threads; t++) {
            bounds[t] = t == threads ? elements : (long) elements * t / threads / Roofline.ALIGN * Roofline.ALIGN;
        }
        double seconds = once(pool, threads, t -> {
            int from = (int) bounds[t];
            int to = (int) bounds[t + 1];
            float s = 0;
            for (int p = 0; p < passes; p++) {
                s += vector ? RooflineVectorKernels.sum(buffer, from, to) : RooflineScalarKernels.sum(buffer, from, to);
            }
            return s;
        });
        return (double) elements * Float.BYTES * passes / seconds;
    }

    /** FLOP/s of one repetition with every thread running the FMA loop. */
    private static double fmaOnce(ExecutorService pool, int threads, boolean vector) {
        int iterations = 1_000_000;
        double flopsPerThread = vector ? 24.0 * RooflineVectorKernels.lanes() * iterations : 16.0 * iterations;
        double seconds = once(
                pool,
                threads,
                t -> vector ? RooflineVectorKernels.fma(iterations, t) : RooflineScalarKernels.fma(iterations, t));
        return flopsPerThread * threads / seconds;
    }

    /** Work of one thread of one repetition; returns a value only to defeat dead-code elimination. */
    @FunctionalInterface
    private interface ThreadWork {
        float run(int thread);
    }

    private static double once(ExecutorService pool, int threads, ThreadWork work) {
        if (threads == 1) {
            long t0 = System.nanoTime();
            sink = work.run(0);
            return (System.nanoTime() - t0) / 1e9;
        }
        // all workers park on one latch and start together; the clock runs from the release to the last finish
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Float>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return work.run(thread);
            }));
        }
        try {
            ready.await();
            long t0 = System.nanoTime();
            go.countDown();
            float s = 0;
            for (Future<Float> f : futures) {
                s += f.get();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            sink = s;
            return seconds;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("roofline measurement interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("roofline measurement failed: " + e.getCause(), e.getCause());
        }
    }
}
