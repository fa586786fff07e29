package io.github.sdsat.bench;

import java.util.Comparator;
import java.util.List;

/**
 * This machine's physical ceilings, measured by the benchmark itself rather than copied from notes: how fast a
 * vectorised loop can stream float buffers of several sizes (so both cache-resident and DRAM-resident weights are
 * covered) and how many F32 fused multiply-adds the cores can retire, each with 1 and 2 threads.
 *
 * <p>A forward pass can be no faster than {@code max(bytes read / bandwidth, FLOPs / FMA peak)}; {@link PassFloor}
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
    static final int ALIGN = 64;

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
        return RooflineMeasurement.measure(settings, vector);
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
