package io.github.sdsat.jlama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.JlamaGreedyLoop;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.github.sdsat.dataset.Datasets;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One engine in a process of its own, for {@link Bf16SideBySide}: loads the model folder with Jlama or with our
 * runtime, runs the untimed and then the timed greedy runs of one prompt, and writes an {@link Result} as JSON.
 *
 * <p>A process per engine because a 7B BF16 model does not fit twice in 24 GiB: our runtime copies the weights into
 * its heap (13 GB) and Jlama maps the same files (13 GB of page cache it needs resident), so in one JVM one engine
 * would page the other's weights out. It also gives each engine its own peak RSS.
 *
 * <pre>{@code
 * EngineProcess --engine jlama|ar --result FILE.json --model FOLDER [Bf16SideBySide's prompt and run options]
 * }</pre>
 */
public final class EngineProcess {
    static final String JLAMA = "jlama";
    static final String AR = "ar";
    private static final String PANAMA_PROPERTY = "jlama.force_panama_tensor_operations";

    private EngineProcess() {}

    /**
     * What one process measured.
     *
     * @param engine {@value #JLAMA} or {@value #AR}
     * @param backend the engine's own description of its kernels and threads
     * @param dataTypes how the engine holds the weights and computes
     * @param loadSeconds model load (Jlama maps the files: its weights are read during the first run instead)
     * @param promptIds the prompt as fed to the engine, BOS first (our tokenizer)
     * @param jlamaEncodingSame whether Jlama's own tokenizer gives the same ids (null for our engine or a task
     *     without prompt text)
     * @param timings the timed runs
     * @param ids the first timed run's new tokens
     * @param idsStable whether every run of this process (untimed runs' common prefix included) gave these ids
     * @param memory resident memory at the end of the process
     * @param maxHeapBytes the JVM's -Xmx
     */
    public record Result(
            String engine,
            String backend,
            String dataTypes,
            int threads,
            double loadSeconds,
            long[] promptIds,
            Boolean jlamaEncodingSame,
            List<EngineSummary.Timing> timings,
            long[] ids,
            boolean idsStable,
            ProcessMemory memory,
            long maxHeapBytes) {}

    public static void main(String[] args) {
        String engine = null;
        Path result = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("--engine") || args[i].equals("--result")) && i + 1 < args.length) {
                if (args[i].equals("--engine")) {
                    engine = args[++i];
                } else {
                    result = Path.of(args[++i]);
                }
            } else {
                rest.add(args[i]);
            }
        }
        try {
            if (!JLAMA.equals(engine) && !AR.equals(engine)) {
                throw new IllegalArgumentException("--engine must be " + JLAMA + " or " + AR + ", got " + engine);
            }
            if (result == null) {
                throw new IllegalArgumentException("--result FILE is required: where this process writes its JSON");
            }
            SideBySideOptions options = SideBySideOptions.parse(rest.toArray(String[]::new));
            DjlOffline.enable(); // before anything can start a DJL engine: no downloads, no telemetry
            Result r = JLAMA.equals(engine) ? runJlama(options) : runOurs(options);
            write(r, result);
        } catch (RuntimeException e) {
            System.err.println("EngineProcess " + engine + " failed: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
        }
    }

    /** The prompt ids both engines are fed: BOS + the prompt, by our tokenizer; and the prompt's text, if any. */
    record Prompt(long[] ids, String text) {}

    static Prompt prompt(SdsatTokenizer tokenizer, LlamaConfig config, SideBySideOptions options) {
        if (options.prompt() != null) {
            return new Prompt(tokenizer.encodeWithBos(options.prompt()), options.prompt());
        }
        Task task = Datasets.humanEval().get(options.task());
        long[] ids = new PromptEncoder(tokenizer, config.eosTokenIds()).encode(task);
        return new Prompt(ids, task.kind() == Task.Kind.COMPLETION ? task.prompt() : null);
    }

    static Result runJlama(SideBySideOptions options) {
        JlamaComparison.checkJvm();
        if (System.getProperty(PANAMA_PROPERTY) == null) {
            System.setProperty(PANAMA_PROPERTY, "true"); // read once, when Jlama's operations are first used
        }
        Path folder = options.model();
        LlamaConfig config = LlamaConfig.load(folder.resolve(Checkpoint.CONFIG_FILE));
        Prompt prompt;
        try (SdsatTokenizer tokenizer = LoadedModel.openTokenizer(folder)) {
            prompt = prompt(tokenizer, config, options);
        }
        useJlamaThreads(options.threads());
        long start = System.nanoTime();
        AbstractModel jlama = ModelSupport.loadModel(folder.toFile(), DType.F32, DType.I8);
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        try {
            String backend = TensorOperationsProvider.get().name();
            if (!backend.toLowerCase(Locale.ROOT).contains("panama")) {
                throw new IllegalStateException("Jlama picked the '" + backend + "' tensor operations, not the "
                        + "pure-Java Panama ones: run with -D" + PANAMA_PROPERTY + "=true and without jlama-native");
            }
            if (JlamaGreedyLoop.headSize(jlama) != config.headDim()) {
                throw new IllegalArgumentException(folder + ": config.json's head_dim is " + config.headDim()
                        + " but Jlama 0.8.4 ignores head_dim and uses hidden_size / num_attention_heads = "
                        + JlamaGreedyLoop.headSize(jlama) + ", so it would compute another model: compare on a "
                        + "folder whose head_dim is hidden_size / num_attention_heads");
            }
            int threads = PhysicalCoreExecutor.instance.get().getCoreCount();
            String dataTypes = JlamaGreedyLoop.dataTypes(jlama);
            System.out.printf(
                    Locale.ROOT,
                    "jlama: %s, %d threads, %s; loaded (mapped) in %.1f s%n",
                    backend,
                    threads,
                    dataTypes,
                    loadSeconds);
            int[] ids = Arrays.stream(prompt.ids()).mapToInt(Math::toIntExact).toArray();
            Boolean encodingSame = prompt.text() == null
                    ? null
                    : Arrays.equals(jlama.encodePrompt(PromptContext.of(prompt.text())), ids);

            List<long[]> seen = new ArrayList<>();
            for (int i = 0; i < options.warmup(); i++) {
                long t = System.nanoTime();
                seen.add(longs(JlamaGreedyLoop.generate(jlama, ids, options.warmupRunTokens())
                        .ids()));
                System.out.printf(Locale.ROOT, "jlama untimed run %d: %.1f s%n", i + 1, (System.nanoTime() - t) / 1e9);
            }
            List<EngineSummary.Timing> timings = new ArrayList<>();
            long[] first = null;
            for (int i = 0; i < options.runs(); i++) {
                long t = System.nanoTime();
                JlamaGreedyLoop.Run run = JlamaGreedyLoop.generate(jlama, ids, options.newTokens());
                long wall = System.nanoTime() - t;
                EngineSummary.Timing timing =
                        new EngineSummary.Timing(run.ids().length, run.prefillNanos(), run.decodeNanos(), wall);
                timings.add(timing);
                seen.add(longs(run.ids()));
                first = first == null ? longs(run.ids()) : first;
                printRun(JLAMA, i + 1, options.runs(), timing);
            }
            return new Result(
                    JLAMA,
                    backend + ", " + threads + " threads, Jlama " + JlamaComparison.jlamaVersion(),
                    dataTypes,
                    threads,
                    loadSeconds,
                    prompt.ids(),
                    encodingSame,
                    timings,
                    first,
                    stable(first, seen),
                    ProcessMemory.read(),
                    Runtime.getRuntime().maxMemory());
        } finally {
            jlama.close();
        }
    }

    /**
     * Sets Jlama's thread count, which it fixes when its executor first starts: a process that already started it
     * (a test JVM) may go on only if the count is the one asked for.
     */
    static void useJlamaThreads(int threads) {
        try {
            PhysicalCoreExecutor.overrideThreadCount(threads);
        } catch (IllegalStateException alreadyStarted) {
            int running = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (running != threads) {
                throw new IllegalStateException("Jlama's executor already runs " + running + " threads in this JVM, "
                        + "not the " + threads + " asked for: run each engine in a new JVM (Bf16SideBySide does)");
            }
        }
    }

    static Result runOurs(SideBySideOptions options) {
        // Read when the model loads: the Java CPU pass's threads (and PyTorch's, should DJL start).
        String threads = Integer.toString(options.threads());
        System.setProperty("sdsat.cpuThreads", System.getProperty("sdsat.cpuThreads", threads));
        System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", threads));
        long start = System.nanoTime();
        try (LoadedModel ours = LoadedModel.open(options.model(), DeviceChoice.resolve("cpu", "float32"), null)) {
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            String backend = ours.model().backend();
            System.out.printf(Locale.ROOT, "ar: %s; loaded in %.1f s%n", backend, loadSeconds);
            Prompt prompt = prompt(ours.tokenizer(), ours.model().config(), options);
            Decoder ar = Decoders.create(AR, ours.model(), ours.satToken());
            List<long[]> seen = new ArrayList<>();
            for (int i = 0; i < options.warmup(); i++) {
                long t = System.nanoTime();
                seen.add(generate(ar, prompt.ids(), options.warmupRunTokens()).outputIds());
                System.out.printf(Locale.ROOT, "ar untimed run %d: %.1f s%n", i + 1, (System.nanoTime() - t) / 1e9);
            }
            List<EngineSummary.Timing> timings = new ArrayList<>();
            long[] first = null;
            for (int i = 0; i < options.runs(); i++) {
                long t = System.nanoTime();
                GenerationResult result = generate(ar, prompt.ids(), options.newTokens());
                long wall = System.nanoTime() - t;
                EngineSummary.Timing timing = new EngineSummary.Timing(
                        result.outputIds().length,
                        Math.round(result.stats().prefillMs() * 1e6),
                        Math.round(result.stats().decodeMs() * 1e6),
                        wall);
                timings.add(timing);
                seen.add(result.outputIds());
                first = first == null ? result.outputIds() : first;
                printRun(AR, i + 1, options.runs(), timing);
            }
            return new Result(
                    AR,
                    backend,
                    dataTypes(ours.model().config()),
                    options.threads(),
                    loadSeconds,
                    prompt.ids(),
                    null,
                    timings,
                    first,
                    stable(first, seen),
                    ProcessMemory.read(),
                    Runtime.getRuntime().maxMemory());
        }
    }

    private static String dataTypes(LlamaConfig config) {
        return "weights as stored (" + config.torchDtype() + "; BF16 kept as BF16 tiles, widened in the kernels), "
                + "activations, KV cache and matmul inputs float32";
    }

    /** Our greedy ar with no stop tokens, so that it emits exactly {@code newTokens} ids like Jlama's loop. */
    private static GenerationResult generate(Decoder ar, long[] promptIds, int newTokens) {
        GenerationResult result = ar.generate(promptIds, GenerationConfig.greedy(newTokens));
        if (result.outputIds().length != newTokens) {
            throw new IllegalStateException("ar emitted " + result.outputIds().length + " tokens instead of "
                    + newTokens + " (stop reason " + result.stopReason() + ")");
        }
        return result;
    }

    private static void printRun(String engine, int run, int runs, EngineSummary.Timing t) {
        System.out.printf(
                Locale.ROOT,
                "%s timed run %d/%d: %d tokens, prefill %.0f ms, decode %.2f tok/s, end to end %.2f tok/s%n",
                engine,
                run,
                runs,
                t.newTokens(),
                t.prefillNanos() / 1e6,
                t.decodeRate(),
                t.endToEndRate());
    }

    /** Whether every run's ids agree with {@code reference} over their common length (untimed runs are shorter). */
    static boolean stable(long[] reference, List<long[]> runs) {
        for (long[] ids : runs) {
            int n = Math.min(ids.length, reference.length);
            if (!Arrays.equals(ids, 0, n, reference, 0, n)) {
                return false;
            }
        }
        return true;
    }

    private static long[] longs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }

    static void write(Result result, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), result);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    static Result read(Path file) {
        try {
            return new ObjectMapper().readValue(file.toFile(), Result.class);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot read the engine process's result " + file.toAbsolutePath() + ": " + e.getMessage()
                            + " (did the process fail before writing it? see its output above)",
                    e);
        }
    }
}
