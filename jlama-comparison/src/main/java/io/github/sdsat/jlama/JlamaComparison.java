package io.github.sdsat.jlama;

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
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.DecoderRegistry;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.results.Environment;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Greedy decoding speed of Jlama 0.8.4 (pure-Java Panama kernels, F32) against this project's runtime ({@code ar}
 * and one SDSAT decoder) on the same model folder and the same HumanEval prompt ids.
 *
 * <p>Per prompt the three runs are interleaved (Jlama, our {@code ar}, our second decoder), so that the drift of a
 * shared machine spreads over all of them; a few prompts run untimed first to warm up both JITs and PyTorch. Every
 * run emits exactly {@code --tokens} ids (EOS ignored by both engines), so the token counts are equal and Jlama's
 * ids can be compared with our {@code ar}'s one for one. Jlama is fed our prompt ids (BOS + prompt) directly, so a
 * tokenizer difference cannot change the comparison; whether Jlama's own encoding agrees is reported as well.
 *
 * <p>Run with {@code scripts/jlama-comparison.sh}: Java 21+, {@code --add-modules jdk.incubator.vector}.
 */
public final class JlamaComparison {
    static final String JLAMA = "jlama";
    static final String AR = AutoregressiveDecoder.NAME;
    private static final String PANAMA_PROPERTY = "jlama.force_panama_tensor_operations";

    private JlamaComparison() {}

    public static void main(String[] args) {
        ComparisonOptions options;
        try {
            options = ComparisonOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // Before anything can start a DJL engine: no downloads, no telemetry.
        DjlOffline.enable();
        try {
            run(options);
        } catch (RuntimeException e) {
            System.err.println("jlama-comparison failed: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
        }
    }

    /** Per prompt: what each engine produced, and how long it took. */
    public record PromptRun(
            String taskId,
            int promptTokens,
            boolean jlamaEncodingSame,
            Map<String, EngineSummary.Timing> timings,
            Map<String, long[]> ids) {}

    static void run(ComparisonOptions options) {
        checkJvm();
        // TensorOperationsProvider reads the property once, when it is first used; set it before that unless the
        // caller chose otherwise explicitly.
        if (System.getProperty(PANAMA_PROPERTY) == null) {
            System.setProperty(PANAMA_PROPERTY, "true");
        }
        Path folder = EmbeddedModels.resolve(options.model());
        if (options.jlamaThreads() > 0) {
            PhysicalCoreExecutor.overrideThreadCount(options.jlamaThreads());
        }
        System.out.println("model folder: " + folder);

        AbstractModel jlama = ModelSupport.loadModel(folder.toFile(), DType.F32, DType.I8);
        String backend = TensorOperationsProvider.get().name();
        if (!backend.toLowerCase(Locale.ROOT).contains("panama")) {
            throw new IllegalStateException("Jlama picked the '" + backend + "' tensor operations, not the pure-Java "
                    + "Panama ones this comparison is about: run with -D" + PANAMA_PROPERTY + "=true and without "
                    + "jlama-native on the class path");
        }
        int jlamaThreads = PhysicalCoreExecutor.instance.get().getCoreCount();

        if (options.ourThreads() > 0) {
            // Read when the model loads: the Java CPU pass's threads (and PyTorch's, for -Dsdsat.cpuKernels=djl).
            System.setProperty("sdsat.cpuThreads", Integer.toString(options.ourThreads()));
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.ourThreads()));
        }
        try (LoadedModel ours = LoadedModel.open(folder, DeviceChoice.resolve("cpu", "float32"), null)) {
            String ourThreads = ours.model().backend();
            String jlamaThreadText = jlamaThreads + " (Jlama PhysicalCoreExecutor)";
            System.out.println("Jlama: " + backend + ", threads " + jlamaThreadText);
            System.out.println("ours:  " + ourThreads);

            Decoder ar = Decoders.create(AR, ours.model(), ours.satToken());
            Decoder other = Decoders.create(options.decoder(), ours.model(), ours.satToken());
            // No stop tokens: EOS is ignored, as in Jlama's loop, so every run emits exactly newTokens ids.
            GenerationConfig config = GenerationConfig.builder()
                    .maxNewTokens(options.newTokens())
                    .k(options.k())
                    .build();
            other.validate(config);

            List<Task> tasks = Datasets.humanEval().subList(0, options.prompts());
            PromptEncoder encoder =
                    new PromptEncoder(ours.tokenizer(), ours.model().config().eosTokenIds());
            List<long[]> promptIds = new ArrayList<>();
            int limit = Math.min(ours.model().config().maxPositions(), jlama.getConfig().contextLength);
            for (Task task : tasks) {
                long[] ids = encoder.encode(task);
                // k spare positions: the SDSAT decoders run SAT drafts past the last emitted token.
                if (ids.length + options.newTokens() + options.k() + 2 * jlama.getConfig().numberOfHeads > limit) {
                    throw new IllegalArgumentException("Prompt " + task.id() + " has " + ids.length + " ids; with "
                            + options.newTokens() + " new tokens it does not fit the model's " + limit
                            + " positions: use fewer --tokens or --prompts");
                }
                promptIds.add(ids);
            }

            Map<String, Decoder> ourDecoders = new LinkedHashMap<>();
            ourDecoders.put(AR, ar);
            ourDecoders.put(other.name(), other);
            String otherLabel = other.name() + (DecoderRegistry.usesSat(other.name()) ? " k=" + options.k() : "");

            int warmup = Math.min(options.warmup(), tasks.size());
            System.out.printf("warm-up: %d prompts x %d tokens, every engine%n", warmup, options.newTokens());
            for (int i = 0; i < warmup; i++) {
                runPrompt(tasks.get(i), promptIds.get(i), jlama, ourDecoders, config);
            }

            System.out.printf(
                    "timed: %d prompts x %d new tokens, order per prompt: jlama, ar, %s%n",
                    tasks.size(), options.newTokens(), otherLabel);
            List<PromptRun> runs = new ArrayList<>();
            for (int i = 0; i < tasks.size(); i++) {
                PromptRun run = runPrompt(tasks.get(i), promptIds.get(i), jlama, ourDecoders, config);
                runs.add(run);
                StringBuilder line = new StringBuilder(String.format(
                        "%3d/%d %-14s %4d prompt ids", i + 1, tasks.size(), run.taskId(), run.promptTokens()));
                run.timings()
                        .forEach((engine, t) -> line.append(
                                String.format("  %s %.0f/%.0f tok/s", engine, t.decodeRate(), t.endToEndRate())));
                System.out.println(line.append("  (decode/end-to-end)"));
            }

            Map<String, String> threads = Map.of(JLAMA, jlamaThreadText);
            List<EngineSummary> summaries = new ArrayList<>();
            for (String engine : runs.get(0).timings().keySet()) {
                List<EngineSummary.Timing> timings =
                        runs.stream().map(r -> r.timings().get(engine)).toList();
                String label = engine.equals(other.name()) ? otherLabel : engine;
                summaries.add(EngineSummary.of(label, threads.getOrDefault(engine, ourThreads), timings));
            }
            ComparisonReport.Equivalence jlamaVsAr = ComparisonReport.Equivalence.of(runs, JLAMA, AR);
            ComparisonReport.Equivalence otherVsAr = ComparisonReport.Equivalence.of(runs, other.name(), AR);
            long encodingsSame =
                    runs.stream().filter(PromptRun::jlamaEncodingSame).count();

            Environment environment = Environment.detect(
                    "cpu",
                    "float32",
                    null,
                    folder.toString(),
                    ours.weightsSha256(),
                    ours.model().config().parameterCount());
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("prompts", tasks.size());
            settings.put("newTokens", options.newTokens());
            settings.put("warmupPrompts", warmup);
            settings.put("greedy", true);
            settings.put("eosIgnored", true);
            settings.put("secondDecoder", otherLabel);
            settings.put("jlamaVersion", jlamaVersion());
            settings.put("jlamaBackend", backend);
            settings.put("jlamaDTypes", "working F32, quantized I8 requested (F32 weights stay F32)");
            settings.put("jlamaThreads", jlamaThreadText);
            settings.put("ourThreads", ourThreads);
            settings.put("ourThreadsRequested", options.ourThreads() > 0 ? options.ourThreads() : "runtime default");
            settings.put("availableProcessors", Runtime.getRuntime().availableProcessors());
            settings.put("finishedAt", Instant.now().toString());

            String table =
                    ComparisonReport.markdown(summaries, jlamaVsAr, otherVsAr, encodingsSame, tasks.size(), settings);
            System.out.println();
            System.out.println(table);
            ComparisonReport.write(
                    options.out(), table, settings, environment, summaries, jlamaVsAr, otherVsAr, encodingsSame, runs);
        } finally {
            jlama.close();
        }
    }

    private static PromptRun runPrompt(
            Task task,
            long[] promptIds,
            AbstractModel jlama,
            Map<String, Decoder> ourDecoders,
            GenerationConfig config) {
        Map<String, EngineSummary.Timing> timings = new LinkedHashMap<>();
        Map<String, long[]> ids = new LinkedHashMap<>();
        int[] jlamaPrompt = Arrays.stream(promptIds).mapToInt(Math::toIntExact).toArray();

        long start = System.nanoTime();
        JlamaGreedyLoop.Run jr = JlamaGreedyLoop.generate(jlama, jlamaPrompt, config.maxNewTokens());
        long wall = System.nanoTime() - start;
        timings.put(JLAMA, new EngineSummary.Timing(jr.ids().length, jr.prefillNanos(), jr.decodeNanos(), wall));
        ids.put(JLAMA, Arrays.stream(jr.ids()).asLongStream().toArray());

        for (Map.Entry<String, Decoder> entry : ourDecoders.entrySet()) {
            start = System.nanoTime();
            GenerationResult result = entry.getValue().generate(promptIds, config);
            wall = System.nanoTime() - start;
            if (result.outputIds().length != config.maxNewTokens()) {
                throw new IllegalStateException(entry.getKey() + " emitted " + result.outputIds().length
                        + " tokens for " + task.id() + " instead of " + config.maxNewTokens() + " (stop reason "
                        + result.stopReason() + ")");
            }
            timings.put(
                    entry.getKey(),
                    new EngineSummary.Timing(
                            result.outputIds().length,
                            Math.round(result.stats().prefillMs() * 1e6),
                            Math.round(result.stats().decodeMs() * 1e6),
                            wall));
            ids.put(entry.getKey(), result.outputIds());
        }
        // Jlama's own encoding of the prompt text (it prepends config.json's BOS itself).
        int[] jlamaEncoded = jlama.encodePrompt(PromptContext.of(task.prompt()));
        boolean sameEncoding = Arrays.equals(jlamaEncoded, jlamaPrompt);
        return new PromptRun(task.id(), promptIds.length, sameEncoding, timings, ids);
    }

    /** Jlama's version from its jar's Maven metadata; "unknown" when the jar does not carry it. */
    static String jlamaVersion() {
        try (var in =
                AbstractModel.class.getResourceAsStream("/META-INF/maven/com.github.tjake/jlama-core/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            var properties = new java.util.Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Jlama needs Java 21+ and the vector API module; say so plainly instead of a NoClassDefFoundError later. */
    static void checkJvm() {
        if (Runtime.version().feature() < 21) {
            throw new IllegalStateException("Jlama needs Java 21 or later, this is Java " + Runtime.version()
                    + ": run with a newer JDK (scripts/jlama-comparison.sh uses /usr/lib/jvm/temurin-25-jdk-amd64)");
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("The module jdk.incubator.vector is not loaded: run java with "
                    + "--add-modules jdk.incubator.vector (Jlama's Panama kernels and ours need it)");
        }
    }
}
