package io.github.sdsat.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.LongStream;

/**
 * Loads a model folder on the Java CPU pass and reports what loading cost: the load time, the heap the model holds,
 * the process's peak and current resident memory ({@code VmHWM}, {@code VmRSS} from /proc/self/status), the weight
 * bytes a pass reads, and the time of a few one-token passes after a short prefill. For the paper-scale checks
 * (docs/PAPER-SCALE.md §4: a 7B BF16 checkpoint within 15 GB of RSS and 90 s of load); not a benchmark of record.
 *
 * <pre>{@code
 * java -Xmx15g --add-modules jdk.incubator.vector -cp ... io.github.sdsat.bench.LoadProbe /models/sdsat-7b-shape
 * }</pre>
 */
public final class LoadProbe {

    static final String USAGE = "usage: LoadProbe <model folder> [--passes 4] [--prefill 8]";

    private LoadProbe() {}

    /** Loads {@code folder}, runs a prefill of {@code prefill} tokens and {@code passes} one-token passes. */
    public static List<String> run(Path folder, int prefill, int passes) {
        List<String> lines = new ArrayList<>();
        lines.add(line("before load", ""));
        long start = System.nanoTime();
        try (LlamaModel model = LlamaModel.load(folder, Device.cpu(), DataType.FLOAT32)) {
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            lines.add(line("after load", String.format(Locale.ROOT, "load %.1f s, %s", loadSeconds, model.backend())));
            lines.add(String.format(
                    Locale.ROOT,
                    "weight bytes per pass: %d (%.2f GB)",
                    model.weightBytesPerPass(),
                    model.weightBytesPerPass() / 1e9));
            int vocab = model.config().vocabSize();
            long[] tokens = LongStream.range(0, prefill + passes)
                    .map(i -> (i * 7919 + 1) % vocab)
                    .toArray();
            try (KvCache cache = model.newCache(prefill + passes)) {
                long t = System.nanoTime();
                model.argmax(
                        cache,
                        slice(tokens, 0, prefill),
                        LongStream.range(0, prefill).toArray(),
                        null,
                        prefill - 1);
                lines.add(String.format(
                        Locale.ROOT, "prefill of %d tokens: %.3f s", prefill, (System.nanoTime() - t) / 1e9));
                for (int i = 0; i < passes; i++) {
                    t = System.nanoTime();
                    model.argmax(cache, slice(tokens, prefill + i, 1), new long[] {prefill + i}, null, 0);
                    lines.add(String.format(
                            Locale.ROOT, "one-token pass %d: %.3f s", i + 1, (System.nanoTime() - t) / 1e9));
                }
            }
            lines.add(line("after passes", ""));
        }
        return lines;
    }

    private static long[] slice(long[] a, int from, int n) {
        long[] out = new long[n];
        System.arraycopy(a, from, out, 0, n);
        return out;
    }

    /** A line with the heap in use and the process's peak and current RSS (where /proc exists). */
    private static String line(String when, String what) {
        Runtime r = Runtime.getRuntime();
        return String.format(
                Locale.ROOT,
                "%s: %sheap in use %.2f GB of %.2f GB max, %s",
                when,
                what.isEmpty() ? "" : what + "; ",
                (r.totalMemory() - r.freeMemory()) / 1e9,
                r.maxMemory() / 1e9,
                residentMemory());
    }

    /** VmHWM (peak RSS) and VmRSS of this process from /proc/self/status, or a note that they are unavailable. */
    static String residentMemory() {
        try {
            String hwm = "?";
            String rss = "?";
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    hwm = l.substring(6).strip();
                } else if (l.startsWith("VmRSS:")) {
                    rss = l.substring(6).strip();
                }
            }
            return "peak RSS " + hwm + ", RSS " + rss;
        } catch (IOException | RuntimeException e) {
            return "RSS unavailable (no /proc/self/status)";
        }
    }

    private static int count(String flag, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            System.err.println(flag + " must be a whole number, got '" + value + "'; " + USAGE);
            System.exit(2);
            return 0;
        }
    }

    public static void main(String[] args) {
        DjlOffline.enable(); // before the first engine call: DJL must never go online
        if (args.length == 0 || args[0].startsWith("--")) {
            System.err.println(USAGE);
            System.exit(2);
        }
        int passes = 4;
        int prefill = 8;
        for (int i = 1; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                System.err.println(args[i] + " needs a value; " + USAGE);
                System.exit(2);
            }
            switch (args[i]) {
                case "--passes" -> passes = count(args[i], args[i + 1]);
                case "--prefill" -> prefill = count(args[i], args[i + 1]);
                default -> {
                    System.err.println("unknown argument " + args[i] + "; " + USAGE);
                    System.exit(2);
                }
            }
        }
        if (passes < 0 || prefill < 1) {
            System.err.println("--prefill must be at least 1 and --passes at least 0; " + USAGE);
            System.exit(2);
        }
        run(Path.of(args[0]), prefill, passes).forEach(System.out::println);
    }
}
