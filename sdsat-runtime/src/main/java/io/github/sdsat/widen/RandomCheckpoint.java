package io.github.sdsat.widen;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.LlamaArchitecture;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import io.github.sdsat.model.SafetensorsWriter.StreamedTensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weight checkpoint for any Llama {@code config.json}, copied byte for byte: by default CodeLlama-7B's
 * exact config (bundled as {@value #CODELLAMA_7B_RESOURCE}), about 13.5 GB in BF16, for the cost curve of the paper's
 * model class where the real weights are not available. Projection weights are uniform with standard deviation
 * {@code std} (0.02, transformers' initializer_range), norm gains 1; each row comes from its own seeded generator,
 * so the same seed gives the same bytes. Rows are made while they are written (one row in memory) into shards below
 * 2 GiB, inside a folder renamed into place at the end, as {@link WidenCheckpoint} does. A cost curve does not depend
 * on the weights' values; decoding on such weights tests machinery, never acceptance.
 *
 * <pre>{@code
 * java -cp ... io.github.sdsat.widen.RandomCheckpoint --config codellama-7b --out /models/codellama-7b-random
 * }</pre>
 */
public final class RandomCheckpoint {

    /** The name {@code --config} takes for CodeLlama-7B's config.json. */
    public static final String CODELLAMA_7B = "codellama-7b";

    /** codellama/CodeLlama-7b-hf's config.json as published. */
    public static final String CODELLAMA_7B_RESOURCE = "io/github/sdsat/widen/codellama-7b-config.json";

    static final String USAGE = "usage: RandomCheckpoint --out <new folder> [--config codellama-7b|<config.json>] "
            + "[--dtype bf16|f16|f32 (default bf16)] [--seed 1] [--std 0.02] [--tokenizer-from <model folder>] "
            + "[--shard-bytes N]";

    private RandomCheckpoint() {}

    /**
     * What to write.
     *
     * @param config {@value #CODELLAMA_7B} or a config.json path
     * @param output the folder to create (must not exist, or be empty)
     * @param tokenizerFrom a model folder whose tokenizer files are copied, or null for none (a cost curve needs
     *     none; decoding does)
     */
    public record Request(
            String config,
            Path output,
            SafetensorsDtype dtype,
            long seed,
            double std,
            Path tokenizerFrom,
            long maxShardBytes) {}

    /** What was written: the folder, its configuration, its shards and the bytes of every file. */
    public record Outcome(Path folder, LlamaConfig config, List<Path> shards, long bytes, Duration elapsed) {}

    /** The bytes of the config.json {@code --config} names. */
    public static byte[] configBytes(String config) {
        if (config.equals(CODELLAMA_7B)) {
            try (InputStream in = RandomCheckpoint.class.getClassLoader().getResourceAsStream(CODELLAMA_7B_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(CODELLAMA_7B_RESOURCE + " is missing from the class path");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Path file = Path.of(config);
        if (!Files.isRegularFile(file)) {
            throw new SdsatException("--config " + config + " is neither " + CODELLAMA_7B + " nor a config.json file");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new SdsatException("cannot read " + file + ": " + e, e);
        }
    }

    /** Checks the config, output, shard size and disk space, then writes the folder. */
    public static Outcome run(Request request) {
        long start = System.nanoTime();
        Path output = request.output().toAbsolutePath().normalize();
        OutputFolder.checkOutput(output);
        OutputFolder.checkShardBytes(request.maxShardBytes());
        if (!(request.std() > 0) || Double.isInfinite(request.std())) {
            throw new SdsatException("--std " + request.std() + " must be a positive number, e.g. 0.02");
        }
        if (request.tokenizerFrom() != null
                && !Files.isRegularFile(request.tokenizerFrom().resolve("tokenizer.json"))) {
            throw new SdsatException("--tokenizer-from " + request.tokenizerFrom() + " has no tokenizer.json: "
                    + "give a model folder with one, or leave the option out");
        }
        byte[] configJson = configBytes(request.config());
        LlamaConfig config = parse(configJson);
        Map<String, StreamedTensor> tensors = tensors(config, request.dtype(), request.seed(), request.std());
        long dataBytes =
                tensors.values().stream().mapToLong(StreamedTensor::byteLength).sum();
        OutputFolder.checkSpace(output, dataBytes);
        try {
            AtomicFiles.writeFolder(output, folder -> {
                if (request.tokenizerFrom() != null) {
                    for (String file : WidenCheckpoint.COPIED_FILES) {
                        Path from = request.tokenizerFrom().resolve(file);
                        if (Files.isRegularFile(from) && !file.equals("generation_config.json")) {
                            Files.copy(from, folder.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
                        }
                    }
                }
                SafetensorsWriter.writeSharded(folder, tensors, request.maxShardBytes());
                Files.write(folder.resolve(Checkpoint.CONFIG_FILE), configJson);
            });
        } catch (FileAlreadyExistsException e) {
            throw new SdsatException(
                    output + " appeared while writing; nothing was written to it: remove it or "
                            + "choose another --out",
                    e);
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write the random checkpoint to " + output + ": " + e + "; check that "
                            + output.getParent() + " is writable and has " + OutputFolder.gigabytes(dataBytes)
                            + " free; "
                            + "nothing was left behind",
                    e);
        }
        try (Checkpoint written = Checkpoint.open(output);
                var files = Files.list(output)) {
            written.validateAgainst(written.config());
            long bytes = files.mapToLong(file -> file.toFile().length()).sum();
            return new Outcome(
                    output, written.config(), written.files(), bytes, Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new SdsatException("cannot list " + output + ": " + e, e);
        }
    }

    private static LlamaConfig parse(byte[] configJson) {
        Path temporary = null;
        try {
            temporary = Files.createTempFile("sdsat-config-", ".json");
            Files.write(temporary, configJson);
            return LlamaConfig.load(temporary);
        } catch (IOException e) {
            throw new SdsatException("cannot check the config: " + e, e);
        } finally {
            if (temporary != null) {
                temporary.toFile().delete();
            }
        }
    }

    /** The config's tensors: each row uniform in ±std·√3 from a generator seeded by (seed, tensor, row). */
    static Map<String, StreamedTensor> tensors(LlamaConfig config, SafetensorsDtype dtype, long seed, double std) {
        float bound = (float) (std * Math.sqrt(3));
        Map<String, StreamedTensor> tensors = new LinkedHashMap<>();
        int index = 0;
        for (LlamaArchitecture.Tensor tensor : LlamaArchitecture.required(config)) {
            long tensorSeed = seed * 0x9E3779B97F4A7C15L + (index++) * 0xBF58476D1CE4E5B9L;
            boolean norm = tensor.part().kind() == LlamaArchitecture.Kind.NORM;
            tensors.put(tensor.name(), new StreamedTensor(dtype, tensor.shape(config), () -> (row, out) -> {
                if (norm) {
                    Arrays.fill(out, 1f);
                    return;
                }
                SplittableRandom random = new SplittableRandom(tensorSeed + row * 0x94D049BB133111EBL);
                for (int i = 0; i < out.length; i++) {
                    out[i] = bound * (2 * (float) random.nextDouble() - 1);
                }
            }));
        }
        return tensors;
    }

    public static void main(String[] args) {
        DjlOffline.enable(); // before anything could start an engine: DJL must never go online
        Request request;
        try {
            request = parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        Outcome outcome = run(request);
        System.out.printf(
                Locale.ROOT,
                "wrote %s: %,d parameters (random, std %s, seed %d), %s; %d shard(s), %d bytes (%.2f GB) in %.1f s%n",
                outcome.folder(),
                outcome.config().parameterCount(),
                request.std(),
                request.seed(),
                request.dtype(),
                outcome.shards().size(),
                outcome.bytes(),
                outcome.bytes() / 1e9,
                outcome.elapsed().toMillis() / 1000.0);
    }

    static Request parseArgs(String[] args) {
        String config = CODELLAMA_7B;
        Path out = null;
        SafetensorsDtype dtype = SafetensorsDtype.BF16;
        long seed = 1;
        double std = 0.02;
        Path tokenizerFrom = null;
        long shardBytes = WidenCheckpoint.DEFAULT_SHARD_BYTES;
        for (int i = 0; i < args.length; i += 2) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[i + 1];
            try {
                switch (flag) {
                    case "--config" -> config = value;
                    case "--out" -> out = Path.of(value);
                    case "--dtype" -> dtype = OutputFolder.dtype(value);
                    case "--seed" -> seed = Long.parseLong(value.strip());
                    case "--std" -> std = Double.parseDouble(value.strip());
                    case "--tokenizer-from" -> tokenizerFrom = Path.of(value);
                    case "--shard-bytes" -> shardBytes = Long.parseLong(value.strip());
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " must be a number, found '" + value + "'");
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out is required");
        }
        return new Request(config, out, dtype, seed, std, tokenizerFrom, shardBytes);
    }
}
