package io.github.sdsat.widen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import io.github.sdsat.model.SafetensorsWriter.StreamedTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link Widening} of a model folder as a Hugging Face model folder: config.json (the source's, with the
 * target's sizes, untied, the target's {@code torch_dtype}), the source's tokenizer files, {@code WIDENING.md}, and
 * the weights as shards {@code model-0000i-of-0000n.safetensors} with {@code model.safetensors.index.json}. Each
 * tensor is made row by row while it is written (one source tensor and one row in memory, whatever the target's
 * size), and the folder is written under a temporary name beside the target and renamed at the end
 * ({@link AtomicFiles#writeFolder}): a failed or killed run leaves no half-written model.
 *
 * <p>Command (docs/PAPER-SCALE.md), e.g. the 7B-shaped widening of the embedded SDSAT model, about 13 GB:
 *
 * <pre>{@code
 * mvn -o -q -pl sdsat-runtime exec:java -Dexec.mainClass=io.github.sdsat.widen.WidenCheckpoint \
 *     -Dexec.args="--model sdsat --out /models/sdsat-7b-shape --preset llama-7b"
 * }</pre>
 */
public final class WidenCheckpoint {

    /**
     * DJL's safetensors reader (used by other engines and tools on these folders) reads at most 2 GiB per file, so
     * shards stay below it; transformers' own default is larger.
     */
    public static final long DEFAULT_SHARD_BYTES = 2_000_000_000L;

    /** Tokenizer and generation files copied as they are when the source has them. */
    static final List<String> COPIED_FILES = List.of(
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "tokenizer.model",
            "generation_config.json");

    static final String USAGE = "usage: WidenCheckpoint --model <sdsat|base|folder> --out <new folder> "
            + "[--preset llama-7b] [--hidden N] [--intermediate N] [--layers N] [--heads N] [--kv-heads N] "
            + "[--head-dim N] [--dtype bf16|f16|f32 (default bf16)] [--shard-bytes N (default " + DEFAULT_SHARD_BYTES
            + ")]; sizes not given are the source's (--preset's when given)";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private WidenCheckpoint() {}

    /**
     * What to write.
     *
     * @param model the source: an embedded model name or a model folder
     * @param output the folder to create (must not exist, or be empty)
     * @param shape the target shape
     * @param dtype the stored dtype of the target's weights
     * @param maxShardBytes the most data bytes per shard (at most 2 GiB − 1)
     */
    public record Request(
            String model, Path output, Widening.Shape shape, SafetensorsDtype dtype, long maxShardBytes) {}

    /**
     * What was written.
     *
     * @param folder the new model folder
     * @param config its configuration
     * @param shards the shard files, in order
     * @param bytes the bytes of every file written
     * @param elapsed the time it took
     */
    public record Outcome(Path folder, LlamaConfig config, List<Path> shards, long bytes, Duration elapsed) {}

    /**
     * Checks everything (source folder, shape, output folder, shard size, disk space), then writes the folder.
     *
     * @throws SdsatException naming the problem and the fix; nothing is written when the inputs are refused
     */
    public static Outcome run(Request request) {
        long start = System.nanoTime();
        Path output = request.output().toAbsolutePath().normalize();
        OutputFolder.checkOutput(output);
        OutputFolder.checkShardBytes(request.maxShardBytes());
        Path sourceFolder = EmbeddedModels.resolve(request.model());
        if (!Files.isRegularFile(sourceFolder.resolve("tokenizer.json"))) {
            throw new SdsatException("the source " + sourceFolder + " has no tokenizer.json, which the widened "
                    + "model needs to decode: widen a complete Hugging Face model folder");
        }
        try (Checkpoint checkpoint = Checkpoint.open(sourceFolder)) {
            LlamaConfig sourceConfig = checkpoint.config();
            checkpoint.validateAgainst(sourceConfig);
            Widening widening = Widening.of(sourceConfig, request.shape(), request.dtype());
            Map<String, StreamedTensor> tensors = widening.tensors(checkpoint, request.dtype());
            long dataBytes = tensors.values().stream()
                    .mapToLong(StreamedTensor::byteLength)
                    .sum();
            OutputFolder.checkSpace(output, dataBytes);
            ObjectNode config = targetConfig(sourceFolder, widening.target());
            OutputFolder.write(
                    output,
                    dataBytes,
                    "the output folder " + output + " appeared while widening",
                    "the widened model",
                    folder -> {
                        for (String file : COPIED_FILES) {
                            Path from = sourceFolder.resolve(file);
                            if (Files.isRegularFile(from)) {
                                Files.copy(from, folder.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
                            }
                        }
                        Files.writeString(folder.resolve("WIDENING.md"), card(sourceFolder, widening, request));
                        SafetensorsWriter.writeSharded(folder, tensors, request.maxShardBytes());
                        // config.json last: a folder with one is complete (the rename publishes all at once anyway).
                        Files.writeString(
                                folder.resolve(Checkpoint.CONFIG_FILE), JSON.writeValueAsString(config) + "\n");
                    });
        }
        List<Path> shards;
        long bytes;
        try (Checkpoint written = Checkpoint.open(output);
                var files = Files.list(output)) {
            written.validateAgainst(written.config()); // what was written reads back as the model it claims to be
            shards = written.files();
            bytes = files.mapToLong(WidenCheckpoint::size).sum();
        } catch (IOException e) {
            throw new SdsatException("cannot list the widened model in " + output + ": " + e, e);
        }
        LlamaConfig written = LlamaConfig.load(output.resolve(Checkpoint.CONFIG_FILE));
        return new Outcome(output, written, shards, bytes, Duration.ofNanos(System.nanoTime() - start));
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new SdsatException("cannot read the size of " + file + ": " + e, e);
        }
    }

    /** The source's config.json (its other fields, e.g. sat_token_id, kept) with the target's sizes. */
    private static ObjectNode targetConfig(Path sourceFolder, LlamaConfig target) {
        Path file = sourceFolder.resolve(Checkpoint.CONFIG_FILE);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new SdsatException("cannot read " + file + ": " + e, e);
        }
        ObjectNode config = ((ObjectNode) root).deepCopy();
        config.put("hidden_size", target.hiddenSize());
        config.put("intermediate_size", target.intermediateSize());
        config.put("num_hidden_layers", target.numLayers());
        config.put("num_attention_heads", target.numHeads());
        config.put("num_key_value_heads", target.numKvHeads());
        config.put("head_dim", target.headDim());
        config.put("tie_word_embeddings", false);
        config.remove("dtype");
        config.put("torch_dtype", target.torchDtype());
        return config;
    }

    private static String card(Path sourceFolder, Widening widening, Request request) {
        LlamaConfig s = widening.source();
        LlamaConfig t = widening.target();
        return """
                # A function-preserving widening

                This folder was written by `io.github.sdsat.widen.WidenCheckpoint` from `%s`. It computes the source
                model's logits (to float rounding: %s weights) at the cost of its own shape. See docs/PAPER-SCALE.md
                of the SDSAT-for-the-JVM project for the construction.

                | | source | this model |
                |---|---|---|
                | hidden_size | %d | %d |
                | intermediate_size | %d | %d |
                | num_hidden_layers | %d | %d (%d with zero o_proj and down_proj) |
                | num_attention_heads / num_key_value_heads | %d / %d | %d / %d |
                | head_dim | %d | %d |
                | vocab_size, rope_theta | %d, %s | the same |
                | parameters | %,d | %,d |
                """.formatted(
                        sourceFolder.getFileName(),
                        request.dtype(),
                        s.hiddenSize(),
                        t.hiddenSize(),
                        s.intermediateSize(),
                        t.intermediateSize(),
                        s.numLayers(),
                        t.numLayers(),
                        t.numLayers() - s.numLayers(),
                        s.numHeads(),
                        s.numKvHeads(),
                        t.numHeads(),
                        t.numKvHeads(),
                        s.headDim(),
                        t.headDim(),
                        s.vocabSize(),
                        s.ropeTheta(),
                        s.parameterCount(),
                        t.parameterCount());
    }

    // ---------------------------------------------------------------------------------------------- command line

    public static void main(String[] args) {
        DjlOffline.enable(); // before anything could start an engine: DJL must never go online
        Request request = WriterCommandLine.parsedOrExit(args, WidenCheckpoint::parse, USAGE);
        Outcome outcome = run(request);
        LlamaConfig c = outcome.config();
        System.out.printf(
                Locale.ROOT,
                "wrote %s: hidden %d, intermediate %d, %d layers, %d heads (%d key/value) of %d, vocab %d, %,d "
                        + "parameters, %s; %s%n",
                outcome.folder(),
                c.hiddenSize(),
                c.intermediateSize(),
                c.numLayers(),
                c.numHeads(),
                c.numKvHeads(),
                c.headDim(),
                c.vocabSize(),
                c.parameterCount(),
                request.dtype(),
                WriterCommandLine.written(outcome.shards(), outcome.bytes(), outcome.elapsed()));
    }

    /** Parses the command line; sizes not given are the preset's, else the source's. */
    static Request parse(String[] args) {
        String model = null;
        Path out = null;
        Widening.Shape preset = null;
        Integer hidden = null, intermediate = null, layers = null, heads = null, kvHeads = null, headDim = null;
        SafetensorsDtype dtype = SafetensorsDtype.BF16;
        long shardBytes = DEFAULT_SHARD_BYTES;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--model" -> model = value;
                case "--out" -> out = Path.of(value);
                case "--preset" -> {
                    if (!value.equals("llama-7b")) {
                        throw new IllegalArgumentException("unknown --preset '" + value + "': the one preset is "
                                + "llama-7b (hidden 4096, intermediate 11008, 32 layers, 32 heads of 128)");
                    }
                    preset = Widening.Shape.LLAMA_7B;
                }
                case "--hidden" -> hidden = positive(flag, value);
                case "--intermediate" -> intermediate = positive(flag, value);
                case "--layers" -> layers = positive(flag, value);
                case "--heads" -> heads = positive(flag, value);
                case "--kv-heads" -> kvHeads = positive(flag, value);
                case "--head-dim" -> headDim = positive(flag, value);
                case "--dtype" -> dtype = OutputFolder.dtype(value);
                case "--shard-bytes" -> {
                    try {
                        shardBytes = Long.parseLong(value.strip());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--shard-bytes must be an integer, found '" + value + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (model == null || out == null) {
            throw new IllegalArgumentException("--model and --out are required");
        }
        Widening.Shape base = preset;
        if (base == null) {
            // Sizes not given stay the source's; reading config.json is cheap and checked again by run().
            base = Widening.Shape.of(
                    LlamaConfig.load(EmbeddedModels.resolve(model).resolve(Checkpoint.CONFIG_FILE)));
        }
        int targetHeads = heads != null ? heads : base.numHeads();
        // By default the base's query heads per key/value head (1, plain multi-head attention, for the preset).
        int group = base.numHeads() / base.numKvHeads();
        int targetKv = kvHeads != null
                ? kvHeads
                : heads == null ? base.numKvHeads() : targetHeads % group == 0 ? targetHeads / group : targetHeads;
        Widening.Shape shape = new Widening.Shape(
                hidden != null ? hidden : base.hiddenSize(),
                intermediate != null ? intermediate : base.intermediateSize(),
                layers != null ? layers : base.numLayers(),
                targetHeads,
                targetKv,
                headDim != null ? headDim : base.headDim());
        return new Request(model, out, shape, dtype, shardBytes);
    }

    private static int positive(String flag, String value) {
        try {
            int parsed = Integer.parseInt(value.strip());
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " must be a positive integer, found '" + value + "'");
    }
}
