package io.github.sdsat.jlama;

import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Jlama 0.8.4 and our {@code ar} on the same model folder (made for BF16 checkpoints up to 7B), side by side: the
 * same prompt ids, the same number of new tokens, greedy, the same thread count; each engine in a process of its
 * own ({@link EngineProcess}), one process per engine per round, the order alternating (ABBA), medians over all
 * timed runs; each engine's peak RSS; where the two engines' greedy ids first differ.
 *
 * <p>Processes, not one JVM: our runtime copies a BF16 checkpoint into its heap and Jlama maps the files, so a 13 GB
 * model in one JVM would need 26 GB resident, more than the 24 GiB machine has, and one engine would page the
 * other's weights out. Every process loads the model again; the load is reported, not timed in the rates.
 *
 * <p>Run with {@code scripts/jlama-comparison.sh --bf16 --model FOLDER ...} (Java 21+, {@code --add-modules
 * jdk.incubator.vector}); the command for the 7B-shaped folder is in docs/PAPER-SCALE.md.
 */
public final class Bf16SideBySide {
    private static final long GIB = 1L << 30;

    private Bf16SideBySide() {}

    public static void main(String[] args) {
        SideBySideOptions options;
        try {
            options = SideBySideOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        try {
            run(options, args);
        } catch (RuntimeException e) {
            System.err.println("Bf16SideBySide failed: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
        }
    }

    static void run(SideBySideOptions options, String[] args) {
        JlamaComparison.checkJvm();
        Path folder = options.model().toAbsolutePath();
        LlamaConfig config = LlamaConfig.load(folder.resolve(Checkpoint.CONFIG_FILE));
        int promptTokens;
        try (SdsatTokenizer tokenizer = LoadedModel.openTokenizer(folder)) {
            promptTokens = EngineProcess.prompt(tokenizer, config, options).ids().length;
        }
        int positions = promptTokens + options.newTokens() + 2 * config.numHeads();
        if (positions > config.maxPositions()) {
            throw new IllegalArgumentException("A prompt of " + promptTokens + " ids and " + options.newTokens()
                    + " new tokens (+ " + 2 * config.numHeads() + " positions Jlama's RoPE lookup may read past) do "
                    + "not fit the model's " + config.maxPositions() + " positions: use fewer --tokens or a "
                    + "shorter --prompt");
        }
        long stored = storedBytes(folder);
        int kvTokens = promptTokens + options.newTokens() + 8;
        int arXmx = options.arXmxGiB() > 0 ? options.arXmxGiB() : arHeapGiB(stored, config, kvTokens);
        int jlamaXmx = options.jlamaXmxGiB() > 0 ? options.jlamaXmxGiB() : jlamaHeapGiB(config, kvTokens);
        System.out.printf(
                Locale.ROOT,
                "model %s: %.2f GB of safetensors, %d layers, hidden %d; prompt %d ids, %d new tokens%n",
                folder,
                stored / 1e9,
                config.numLayers(),
                config.hiddenSize(),
                promptTokens,
                options.newTokens());
        System.out.printf(
                Locale.ROOT,
                "one engine process at a time: ar -Xmx%dg (weights copied into the heap), Jlama -Xmx%dg (weights "
                        + "mapped: %.2f GB of page cache on top)%n",
                arXmx,
                jlamaXmx,
                stored / 1e9);
        warnIfShortOfMemory(stored, arXmx);

        Path runsFolder = options.out().resolve("processes");
        List<EngineProcess.Result> jlama = new ArrayList<>();
        List<EngineProcess.Result> ar = new ArrayList<>();
        List<EngineProcess.Result> all = new ArrayList<>();
        for (int round = 0; round < options.rounds(); round++) {
            for (String engine : SideBySideReport.order(round)) {
                Path result = runsFolder.resolve("round-" + (round + 1) + "-" + engine + ".json");
                System.out.printf("%n== round %d/%d: %s ==%n", round + 1, options.rounds(), engine);
                List<String> command = childCommand(
                        engine, engine.equals(EngineProcess.JLAMA) ? jlamaXmx : arXmx, kvTokens, result, args);
                runChild(command, result);
                EngineProcess.Result r = EngineProcess.read(result);
                (engine.equals(EngineProcess.JLAMA) ? jlama : ar).add(r);
                all.add(r);
                System.out.println(engine + " process memory: " + r.memory().describe());
            }
        }

        SideBySideReport.Comparison comparison = SideBySideReport.Comparison.of(jlama, ar);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", folder.toString());
        settings.put("safetensorsBytes", stored);
        settings.put("prompt", options.prompt() != null ? options.prompt() : "HumanEval/" + options.task());
        settings.put("promptTokens", promptTokens);
        settings.put("newTokens", options.newTokens());
        settings.put("greedy", true);
        settings.put("eosIgnored", true);
        settings.put("rounds", options.rounds());
        settings.put("order", "ABBA: round 1 Jlama then ar, round 2 ar then Jlama, ...");
        settings.put("warmupRuns", options.warmup() + " x " + options.warmupRunTokens() + " tokens");
        settings.put("timedRunsPerProcess", options.runs());
        settings.put("threads", options.threads());
        settings.put("arXmxGiB", arXmx);
        settings.put("jlamaXmxGiB", jlamaXmx);
        settings.put("java", Runtime.version().toString());
        settings.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        settings.put("jlamaVersion", JlamaComparison.jlamaVersion());
        settings.put("finishedAt", Instant.now().toString());
        String table = SideBySideReport.markdown(comparison, settings);
        System.out.println();
        System.out.println(table);
        SideBySideReport.write(options.out(), table, settings, comparison, all);
    }

    /** Bytes of the folder's safetensors files (the weights as stored). */
    static long storedBytes(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            long bytes = 0;
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    .toList()) {
                bytes += Files.size(f);
            }
            if (bytes == 0) {
                throw new IllegalArgumentException(
                        folder + " has no .safetensors file: give a Hugging Face model folder with --model");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    /**
     * Heap for our process: the weights as stored (BF16 stays 2 bytes a weight on the Java CPU pass; an F32 file is
     * 4 bytes already), a float32 KV cache of {@code kvTokens}, 5% and 2 GiB for the rest (the JVM, DJL, and room for
     * G1 to place the large tile arrays): 15 GiB for the 7B-shaped widening, as docs/PAPER-SCALE.md §4 says. The
     * model load checks its own estimate against the heap and names the -Xmx it needs if this is short (then pass
     * --ar-xmx).
     */
    static int arHeapGiB(long storedBytes, LlamaConfig c, int kvTokens) {
        long kv = 2L * c.numLayers() * kvTokens * c.kvSize() * Float.BYTES;
        return (int) Math.ceil(((storedBytes + kv) * 1.05 + 2 * GIB) / GIB);
    }

    /**
     * Heap for Jlama's process, which is also its direct-memory limit: Jlama maps the weights (outside both), and
     * allocates its float32 KV cache (8 MB pages) and working tensors (a 100 MB cache) as direct buffers.
     */
    static int jlamaHeapGiB(LlamaConfig c, int kvTokens) {
        long kv = 2L * c.numLayers() * kvTokens * c.kvSize() * Float.BYTES;
        return (int) Math.ceil((kv * 1.25 + 2 * GIB) / (double) GIB);
    }

    private static void warnIfShortOfMemory(long storedBytes, int arXmxGiB) {
        long available = memAvailableBytes();
        long need = Math.max(storedBytes, arXmxGiB * GIB);
        if (available > 0 && available < need) {
            System.out.printf(
                    Locale.ROOT,
                    "WARNING: %.1f GB available (MemAvailable) but an engine process may hold %.1f GB: Jlama's "
                            + "mapped weights would be paged in and out (and slowed), or our heap not fit; stop "
                            + "other work first%n",
                    available / 1e9,
                    need / 1e9);
        }
    }

    /** MemAvailable from /proc/meminfo in bytes, -1 when unknown. */
    static long memAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: no warning
        }
        return -1;
    }

    /**
     * The child JVM: this JVM's java and class path, the module and flags both engines need, the heap, the threads
     * and KV room as system properties, this JVM's other {@code -D} options (e.g. sdsat.* or a log level), and the
     * user's options unchanged.
     */
    static List<String> childCommand(String engine, int xmxGiB, int kvTokens, Path result, String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + xmxGiB + "g");
        // Both engines on huge pages where the kernel gives them on request: our tiles live in the heap, and on 4 KiB
        // pages a 7B pass was measured slower and drifting (docs/PERFORMANCE.md section 7); Jlama's mapped weights
        // are file pages either way, its heap and KV buffers get the same flag.
        cmd.add("-XX:+UseTransparentHugePages");
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow"); // jctools (Jlama) uses sun.misc.Unsafe
        }
        SideBySideOptions options = SideBySideOptions.parse(args);
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("jlama.force_panama_tensor_operations", "true");
        properties.put("ai.djl.offline", "true");
        properties.put("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        properties.put("sdsat.cpuThreads", Integer.toString(options.threads()));
        properties.put("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
        properties.put("sdsat.kvCacheTokens", Integer.toString(kvTokens));
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("sdsat.") || name.startsWith("jlama.") || name.startsWith("org.slf4j.")) {
                properties.put(name, System.getProperty(name)); // the caller's choice wins
            }
        }
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(EngineProcess.class.getName());
        cmd.add("--engine");
        cmd.add(engine);
        cmd.add("--result");
        cmd.add(result.toAbsolutePath().toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void runChild(List<String> command, Path result) {
        try {
            Files.deleteIfExists(result);
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().put("DJL_OFFLINE", "true");
            pb.environment().put("OPT_OUT_TRACKING", "true");
            Process p = pb.start();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IllegalStateException("The engine process exited with " + rc + " (its output is above): "
                        + String.join(" ", command.subList(0, Math.min(command.size(), 4))) + " ...");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while an engine process ran", e);
        }
    }
}
