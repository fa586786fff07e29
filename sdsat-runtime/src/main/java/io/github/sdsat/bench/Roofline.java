package io.github.sdsat.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * This machine's physical ceilings, measured by the benchmark itself rather than copied from notes: how fast a
 * vectorised loop can stream float buffers of several sizes (so both cache-resident and DRAM-resident weights are
 * covered) and how many F32 fused multiply-adds the cores can retire, each with 1 and 2 threads.
 *
 * <p>A forward pass can be no faster than {@code max(bytes read / bandwidth, FLOPs / FMA peak)}; {@link CostCurve}
 * puts that prediction next to every measured pass time.
 *
 * <p>Units: 1 MB = 10<sup>6</sup> bytes, 1 GB/s = 10<sup>9</sup> bytes/s, GFLOP/s = 10<sup>9</sup> FLOP/s (an FMA
 * counts as 2 FLOPs).
 *
 * @param kernel           which loops measured: {@code "vector-api"} ({@code jdk.incubator.vector}, preferred
 *                         species) or {@code "scalar"} (plain Java, when the module is not in the boot layer)
 * @param vectorBits       bits of the vector species used, 32 for the scalar path
 * @param bandwidth        best read bandwidth per buffer size and thread count
 * @param fma              best FMA throughput per thread count
 * @param measuredSeconds  wall time the measurement took
 */
public record Roofline(
        String kernel, int vectorBits, List<Bandwidth> bandwidth, List<Fma> fma, double measuredSeconds) {
    /** Kernel name when the vector API measured. */
    public static final String VECTOR = "vector-api";
    /** Kernel name for the plain-Java fallback. */
    public static final String SCALAR = "scalar";

    private static final long MB = 1_000_000L;
    /** Each thread count gets its own pass over the buffer share; this rounds shares to whole vectors. */
    private static final int ALIGN = 64;
    /** Sink for kernel results, so the JIT cannot drop the loops as dead code. */
    private static volatile float sink;

    /**
     * One measured read bandwidth.
     *
     * @param bytes        buffer size (all threads together; each thread reads its own contiguous share)
     * @param threads      threads reading at once
     * @param gbPerSecond  best bytes per second over the repetitions, in 10<sup>9</sup>
     */
    public record Bandwidth(long bytes, int threads, double gbPerSecond) {
        public Bandwidth {
            if (bytes <= 0 || threads <= 0 || !(gbPerSecond > 0) || Double.isInfinite(gbPerSecond)) {
                throw new IllegalArgumentException("bandwidth point needs positive bytes, threads and finite GB/s, "
                        + "got bytes " + bytes + ", threads " + threads + ", GB/s " + gbPerSecond);
            }
        }
    }

    /**
     * One measured FMA throughput.
     *
     * @param threads          threads running FMA loops at once
     * @param gflopPerSecond   best FLOPs per second (all threads together), in 10<sup>9</sup>
     */
    public record Fma(int threads, double gflopPerSecond) {
        public Fma {
            if (threads <= 0 || !(gflopPerSecond > 0) || Double.isInfinite(gflopPerSecond)) {
                throw new IllegalArgumentException("FMA point needs positive threads and finite GFLOP/s, got threads "
                        + threads + ", GFLOP/s " + gflopPerSecond);
            }
        }
    }

    /**
     * What to measure.
     *
     * @param bufferBytes  buffer sizes to stream (each at least 1 MB)
     * @param threads      thread counts (each at least 1)
     * @param maxRounds    at most this many rounds; each round runs every setting once, and each setting keeps its
     *                     best round
     * @param seconds      stop starting rounds once this much time has passed (after at least 3 rounds)
     * @param bytesPerRepetition  buffers smaller than this are read several times per timed repetition, so that a
     *                     repetition lasts far longer than waking the worker threads (256 MB: milliseconds)
     */
    public record Settings(
            List<Long> bufferBytes, List<Integer> threads, int maxRounds, double seconds, long bytesPerRepetition) {
        /** 8, 17 (the embedded model's F32 weights), 32, 64, 128 and 512 MB with 1 and 2 threads: ~5-10 s. */
        public static final Settings DEFAULT = new Settings(
                List.of(8 * MB, 17 * MB, 32 * MB, 64 * MB, 128 * MB, 512 * MB), List.of(1, 2), 20, 6.0, 256 * MB);

        public Settings {
            if (bufferBytes == null || bufferBytes.isEmpty() || threads == null || threads.isEmpty()) {
                throw new IllegalArgumentException("roofline settings need at least one buffer size and one thread "
                        + "count, e.g. Settings.DEFAULT");
            }
            for (long bytes : bufferBytes) {
                if (bytes < MB || bytes / Float.BYTES > Integer.MAX_VALUE - ALIGN) {
                    throw new IllegalArgumentException("buffer size " + bytes + " bytes is outside [1 MB, 8 GB): "
                            + "choose sizes that bracket the weights you want to predict");
                }
            }
            for (int t : threads) {
                if (t < 1) {
                    throw new IllegalArgumentException("thread count " + t + " must be at least 1");
                }
            }
            if (maxRounds < 1 || !(seconds > 0) || bytesPerRepetition < 1) {
                throw new IllegalArgumentException("maxRounds (" + maxRounds + "), seconds (" + seconds
                        + ") and bytesPerRepetition (" + bytesPerRepetition + ") must be positive");
            }
            bufferBytes = List.copyOf(bufferBytes);
            threads = List.copyOf(threads);
        }
    }

    public Roofline {
        if (kernel == null || bandwidth == null || bandwidth.isEmpty() || fma == null || fma.isEmpty()) {
            throw new IllegalArgumentException("a roofline needs a kernel name, at least one bandwidth point and at "
                    + "least one FMA point: build it with Roofline.measure()");
        }
        bandwidth = List.copyOf(bandwidth);
        fma = List.copyOf(fma);
    }

    /** Whether {@code jdk.incubator.vector} is in this JVM's boot layer (needs {@code --add-modules}). */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Measures with {@link Settings#DEFAULT}. */
    public static Roofline measure() {
        return measure(Settings.DEFAULT);
    }

    /** Measures with the vector API when its module is present, else with plain loops. */
    public static Roofline measure(Settings settings) {
        return measure(settings, vectorModulePresent());
    }

    /** Measures with the chosen kernels ({@code vector} must only be true when the module is present). */
    static Roofline measure(Settings settings, boolean vector) {
        long start = System.nanoTime();
        long largest =
                settings.bufferBytes().stream().mapToLong(Long::longValue).max().orElseThrow();
        int maxThreads =
                settings.threads().stream().mapToInt(Integer::intValue).max().orElseThrow();
        // one buffer, its prefixes serve the smaller sizes: the largest alone is all the memory this needs
        float[] buffer = new float[Math.toIntExact(largest / Float.BYTES)]; // [largest / 4] floats
        java.util.Arrays.fill(buffer, 1f); // touch every page now, not in the first timed repetition
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
            List<Bandwidth> bandwidth = new ArrayList<>();
            for (int i = 0; i < bandwidthSettings.size(); i++) {
                long[] s = bandwidthSettings.get(i);
                bandwidth.add(new Bandwidth(s[0], (int) s[1], bestBandwidth[i] / 1e9));
            }
            List<Fma> fma = new ArrayList<>();
            for (int i = 0; i < bestFma.length; i++) {
                fma.add(new Fma(settings.threads().get(i), bestFma[i] / 1e9));
            }
            return new Roofline(
                    vector ? VECTOR : SCALAR,
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
            s += vector ? RooflineVectorKernels.sum(buffer, 0, chunk) : scalarSum(buffer, 0, chunk);
            s += vector ? RooflineVectorKernels.fma(200, s) : scalarFma(200, s);
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
            bounds[t] = t == threads ? elements : (long) elements * t / threads / ALIGN * ALIGN;
        }
        double seconds = once(pool, threads, t -> {
            int from = (int) bounds[t];
            int to = (int) bounds[t + 1];
            float s = 0;
            for (int p = 0; p < passes; p++) {
                s += vector ? RooflineVectorKernels.sum(buffer, from, to) : scalarSum(buffer, from, to);
            }
            return s;
        });
        return (double) elements * Float.BYTES * passes / seconds;
    }

    /** FLOP/s of one repetition with every thread running the FMA loop. */
    private static double fmaOnce(ExecutorService pool, int threads, boolean vector) {
        int iterations = 1_000_000;
        double flopsPerThread = vector ? 24.0 * RooflineVectorKernels.lanes() * iterations : 16.0 * iterations;
        double seconds =
                once(pool, threads, t -> vector ? RooflineVectorKernels.fma(iterations, t) : scalarFma(iterations, t));
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

    /** The fallback read: eight scalar accumulators, the most a plain loop keeps independent. */
    static float scalarSum(float[] a, int from, int to) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        int i = from;
        int end = from + (to - from) / 8 * 8;
        for (; i < end; i += 8) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
            s4 += a[i + 4];
            s5 += a[i + 5];
            s6 += a[i + 6];
            s7 += a[i + 7];
        }
        for (; i < to; i++) {
            s0 += a[i];
        }
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    }

    /** The fallback FMA loop: eight scalar chains, {@code 16 · iterations} FLOPs. */
    static float scalarFma(int iterations, float seed) {
        float x = 0.999f;
        float y = 1e-3f;
        float a0 = seed;
        float a1 = seed + 1;
        float a2 = seed + 2;
        float a3 = seed + 3;
        float a4 = seed + 4;
        float a5 = seed + 5;
        float a6 = seed + 6;
        float a7 = seed + 7;
        for (int i = 0; i < iterations; i++) {
            a0 = Math.fma(a0, x, y);
            a1 = Math.fma(a1, x, y);
            a2 = Math.fma(a2, x, y);
            a3 = Math.fma(a3, x, y);
            a4 = Math.fma(a4, x, y);
            a5 = Math.fma(a5, x, y);
            a6 = Math.fma(a6, x, y);
            a7 = Math.fma(a7, x, y);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }

    // ------------------------------------------------------------------------------------------------ lookups

    /**
     * Read bandwidth in bytes/s for a working set of {@code bytes} read by {@code threads} threads: linear in
     * log(bytes) between the measured sizes (bandwidth falls in steps as the working set leaves each cache level,
     * and the sizes are spaced by factors of ~2), clamped to the smallest and largest measured sizes. Uses the
     * largest measured thread count not above {@code threads}: more threads than measured get the measured
     * figure, a conservative (slower) ceiling.
     *
     * @throws IllegalArgumentException for non-positive arguments, or fewer threads than any measured
     */
    public double bandwidthFor(long bytes, int threads) {
        if (bytes <= 0) {
            throw new IllegalArgumentException(
                    "bytes must be positive, got " + bytes + ": pass the bytes the pass " + "reads");
        }
        int measured = measuredThreads(
                threads, bandwidth.stream().map(Bandwidth::threads).toList());
        List<Bandwidth> row = bandwidth.stream()
                .filter(b -> b.threads() == measured)
                .sorted(Comparator.comparingLong(Bandwidth::bytes))
                .toList();
        Bandwidth first = row.get(0);
        Bandwidth last = row.get(row.size() - 1);
        if (bytes <= first.bytes()) {
            return first.gbPerSecond() * 1e9;
        }
        if (bytes >= last.bytes()) {
            return last.gbPerSecond() * 1e9;
        }
        for (int i = 1; i < row.size(); i++) {
            Bandwidth hi = row.get(i);
            if (bytes <= hi.bytes()) {
                Bandwidth lo = row.get(i - 1);
                if (hi.bytes() == lo.bytes()) {
                    return hi.gbPerSecond() * 1e9;
                }
                double f = Math.log((double) bytes / lo.bytes()) / Math.log((double) hi.bytes() / lo.bytes());
                return (lo.gbPerSecond() + f * (hi.gbPerSecond() - lo.gbPerSecond())) * 1e9;
            }
        }
        throw new AssertionError("bytes " + bytes + " lies between the first and last point");
    }

    /**
     * Peak F32 FMA throughput in FLOP/s with {@code threads} threads (largest measured thread count not above it).
     *
     * @throws IllegalArgumentException for {@code threads} below 1 or below every measured count
     */
    public double fmaFlopsPerSecond(int threads) {
        int measured = measuredThreads(threads, fma.stream().map(Fma::threads).toList());
        return fma.stream()
                        .filter(f -> f.threads() == measured)
                        .mapToDouble(Fma::gflopPerSecond)
                        .max()
                        .orElseThrow()
                * 1e9;
    }

    private static int measuredThreads(int threads, List<Integer> measured) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return measured.stream()
                .filter(t -> t <= threads)
                .max(Integer::compare)
                .orElseThrow(() -> new IllegalArgumentException("no roofline point for " + threads + " thread(s): "
                        + "measured thread counts are "
                        + measured.stream().distinct().sorted().toList()
                        + "; measure with Settings.threads including " + threads));
    }

    /** The measured tables as markdown: bandwidth (GB/s) by buffer and threads, then FMA GFLOP/s by threads. */
    public String markdown() {
        List<Integer> threads =
                bandwidth.stream().map(Bandwidth::threads).distinct().sorted().toList();
        List<Long> sizes =
                bandwidth.stream().map(Bandwidth::bytes).distinct().sorted().toList();
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                "Roofline (%s kernels, %d-bit vectors, measured in %.1f s)%n%n", kernel, vectorBits, measuredSeconds));
        out.append("| buffer |");
        threads.forEach(t -> out.append(' ')
                .append(t)
                .append(t == 1 ? " thread" : " threads")
                .append(": GB/s |"));
        out.append("\n|---|");
        threads.forEach(t -> out.append("---|"));
        out.append('\n');
        for (long size : sizes) {
            out.append(String.format("| %d MB |", Math.round(size / 1e6)));
            for (int t : threads) {
                out.append(bandwidth.stream()
                        .filter(b -> b.bytes() == size && b.threads() == t)
                        .findFirst()
                        .map(b -> String.format(" %.1f |", b.gbPerSecond()))
                        .orElse(" – |"));
            }
            out.append('\n');
        }
        out.append("\n| threads | F32 FMA GFLOP/s |\n|---|---|\n");
        fma.stream()
                .sorted(Comparator.comparingInt(Fma::threads))
                .forEach(f -> out.append(String.format("| %d | %.1f |%n", f.threads(), f.gflopPerSecond())));
        return out.toString();
    }
}
