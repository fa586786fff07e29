package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.bench.TinyModelFolder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds mutated safetensors headers and config.json files through the public loader ({@link LoadedModel#open}).
 * Every case must end in a {@link SdsatException} or in a model that loads and runs a pass: no other exception, no
 * hang (each case has a time limit), and no heap allocation beyond a bound far below what the hostile values claim.
 *
 * <p>Seeded and bounded: the default build runs {@value #DEFAULT_CASES} cases or {@value #DEFAULT_SECONDS} seconds,
 * whichever ends first. A longer run: {@code -Dsdsat.fuzz.cases=100000 -Dsdsat.fuzz.seconds=1800
 * -Dsdsat.fuzz.seed=N} on the command line of {@code mvn -pl sdsat-runtime test -Dtest=CheckpointFuzzTest}. The counts
 * are printed.
 */
class CheckpointFuzzTest {

    static final int DEFAULT_CASES = 2000;
    static final int DEFAULT_SECONDS = 45;
    private static final long CASE_TIME_LIMIT_SECONDS = 30;
    /**
     * Heap one case may allocate: opening the tokenizer, parsing config and header and, for a good load, the tiny
     * model's packed weights, all far below this; a loader that trusted a hostile shape, size or length would allocate
     * gigabytes.
     */
    private static final long CASE_ALLOCATION_LIMIT = 256L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DeviceChoice CPU = DeviceChoice.resolve("cpu", "float32");
    private static final long[] INTERESTING_LONGS = {
        -1,
        0,
        1,
        2,
        3,
        7,
        8,
        255,
        4096,
        65_535,
        65_536,
        1L << 24,
        Integer.MAX_VALUE,
        1L << 31,
        1L << 32,
        1_000_000_000,
        1L << 53,
        Long.MAX_VALUE,
        Long.MIN_VALUE
    };

    @TempDir
    Path dir;

    @Test
    void mutatedHeadersAndConfigsEndInSdsatExceptionOrACorrectLoad() throws Exception {
        long seed = Long.getLong("sdsat.fuzz.seed", 20_240_311L);
        int maxCases = Integer.getInteger("sdsat.fuzz.cases", DEFAULT_CASES);
        long deadline =
                System.nanoTime() + TimeUnit.SECONDS.toNanos(Integer.getInteger("sdsat.fuzz.seconds", DEFAULT_SECONDS));

        Path base = TinyModelFolder.write(dir.resolve("base"), 7L);
        byte[] weights = Files.readAllBytes(base.resolve(Checkpoint.SINGLE_WEIGHTS_FILE));
        int headerLength = (int)
                ByteBuffer.wrap(weights, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(Arrays.copyOfRange(weights, 8, 8 + headerLength));
        byte[] data = Arrays.copyOfRange(weights, 8 + headerLength, weights.length);
        ObjectNode config =
                (ObjectNode) JSON.readTree(base.resolve(Checkpoint.CONFIG_FILE).toFile());

        Path folder = Files.createDirectories(dir.resolve("case"));
        for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(base.resolve(name), folder.resolve(name));
        }

        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int cases = 0;
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "fuzz-loader");
            thread.setDaemon(true); // a hung case must not keep the test JVM alive
            return thread;
        });
        try {
            // The first load in a JVM starts the engine and loads native libraries: not the loader's allocations.
            assertThat(worker.submit(() -> loadOnce(base, Long.MAX_VALUE)).get())
                    .isEqualTo("loaded");
            while (cases < maxCases && System.nanoTime() < deadline) {
                Random random = new Random(seed * 1_000_003L + cases);
                Mutation mutation = random.nextInt(3) == 0
                        ? mutateConfig(random, config.deepCopy(), header, data)
                        : mutateWeights(random, config, header.deepCopy(), data);
                Files.write(folder.resolve(Checkpoint.CONFIG_FILE), mutation.config);
                Files.write(folder.resolve(Checkpoint.SINGLE_WEIGHTS_FILE), mutation.weights);
                String outcome;
                Future<String> result = worker.submit(() -> loadOnce(folder, CASE_ALLOCATION_LIMIT));
                try {
                    outcome = result.get(CASE_TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    failures.add("case " + cases + " (" + mutation.description + "): no answer after "
                            + CASE_TIME_LIMIT_SECONDS + " s");
                    break; // the worker is stuck; later cases cannot run on it
                } catch (ExecutionException e) {
                    failures.add("case " + cases + " (" + mutation.description + "): " + e.getCause());
                    outcome = "failure";
                }
                outcomes.merge(outcome, 1, Integer::sum);
                cases++;
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.println("CheckpointFuzzTest: seed " + seed + ", " + cases + " cases: " + outcomes);
        assertThat(failures)
                .as("cases ending in something other than SdsatException or a correct load")
                .isEmpty();
        assertThat(cases).as("cases run before the time limit").isGreaterThanOrEqualTo(Math.min(maxCases, 200));
        assertThat(outcomes.getOrDefault("loaded", 0))
                .as("some mutations keep the checkpoint valid")
                .isPositive();
    }

    /** Opens the folder; "loaded" when it loads and runs a pass, else a short key for the refusal. */
    private static String loadOnce(Path folder, long allocationLimit) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        String outcome;
        try (LoadedModel loaded = LoadedModel.open(folder, CPU, null)) {
            LlamaModel model = loaded.model();
            try (KvCache cache = model.newCache(1)) { // max_position_embeddings 1 is a valid (if useless) model
                long[] next = model.argmax(
                        cache, new long[] {loaded.tokenizer().specials().bos()}, new long[] {0}, null, 0);
                if (next.length != 1 || next[0] < 0 || next[0] >= model.config().vocabSize()) {
                    throw new AssertionError("a loaded model gave token " + Arrays.toString(next));
                }
            }
            outcome = "loaded";
        } catch (SdsatException e) {
            outcome = "refused: " + refusalKind(e.getMessage());
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        if (allocated > allocationLimit) {
            throw new AssertionError(outcome + " after allocating " + allocated + " bytes");
        }
        return outcome;
    }

    /** Groups refusals by their rule, for the printed counts. */
    private static String refusalKind(String message) {
        String[] kinds = {
            "header length",
            "not valid JSON",
            "names a tensor twice",
            "overlaps",
            "leaves a gap",
            "no tensor describes",
            "point past the end",
            "end before they begin",
            "needs",
            "too large",
            "dtype",
            "must be a list",
            "more than this runtime accepts",
            "must be positive",
            "must be an integer",
            "do not match the configuration",
            "must be a multiple",
            "must be even",
            "token id",
            "vocab_size",
            "not found",
            "is truncated",
            "is missing",
            "is not supported",
            "must be"
        };
        for (String kind : kinds) {
            if (message.contains(kind)) {
                return kind;
            }
        }
        System.out.println("CheckpointFuzzTest: refusal of another kind: " + message);
        return "other";
    }

    private record Mutation(String description, byte[] config, byte[] weights) {}

    // ---------------------------------------------------------------------------------------------- mutations

    private static Mutation mutateConfig(Random random, ObjectNode config, ObjectNode header, byte[] data)
            throws IOException {
        byte[] weights = safetensors(header, data);
        List<String> fields = new ArrayList<>();
        config.fieldNames().forEachRemaining(fields::add);
        String field = fields.get(random.nextInt(fields.size()));
        String description;
        switch (random.nextInt(4)) {
            case 0 -> {
                config.remove(field);
                description = "config: remove " + field;
            }
            case 1 -> {
                JsonNode value = interestingValue(random);
                config.set(field, value);
                description = "config: " + field + " = " + value;
            }
            case 2 -> {
                long value = INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)];
                String sizeField = List.of(
                                "hidden_size",
                                "intermediate_size",
                                "num_hidden_layers",
                                "num_attention_heads",
                                "num_key_value_heads",
                                "head_dim",
                                "vocab_size",
                                "max_position_embeddings",
                                "bos_token_id",
                                "eos_token_id")
                        .get(random.nextInt(10));
                config.put(sizeField, value);
                description = "config: " + sizeField + " = " + value;
            }
            default -> {
                byte[] text = JSON.writeValueAsBytes(config);
                flipBytes(random, text, 0, text.length);
                return new Mutation("config: flipped bytes", text, weights);
            }
        }
        return new Mutation(description, JSON.writeValueAsBytes(config), weights);
    }

    private static Mutation mutateWeights(Random random, ObjectNode config, ObjectNode header, byte[] data)
            throws IOException {
        byte[] configBytes = JSON.writeValueAsBytes(config);
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        names.remove("__metadata__");
        String name = names.get(random.nextInt(names.size()));
        ObjectNode entry = (ObjectNode) header.get(name);
        String description;
        switch (random.nextInt(10)) {
            case 0 -> {
                JsonNode dtype = random.nextBoolean()
                        ? JSON.getNodeFactory()
                                .textNode(List.of("F32", "F16", "BF16", "I8", "F64", "f32", "", "U8")
                                        .get(random.nextInt(8)))
                        : interestingValue(random);
                entry.set("dtype", dtype);
                description = name + ".dtype = " + dtype;
            }
            case 1 -> {
                ArrayNode shape = (ArrayNode) entry.get("shape");
                if (shape.isEmpty() || random.nextInt(4) == 0) {
                    shape.add(INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)]);
                } else {
                    shape.set(
                            random.nextInt(shape.size()),
                            JSON.getNodeFactory()
                                    .numberNode(INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)]));
                }
                description = name + ".shape = " + shape;
            }
            case 2 -> {
                ArrayNode offsets = (ArrayNode) entry.get("data_offsets");
                int which = random.nextInt(2);
                long value = random.nextBoolean()
                        ? offsets.get(which).longValue() + random.nextInt(17) - 8
                        : INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)];
                offsets.set(which, JSON.getNodeFactory().numberNode(value));
                description = name + ".data_offsets = " + offsets;
            }
            case 3 -> {
                // Swap the offsets of two tensors: overlaps, gaps or a silent swap of same-sized tensors.
                ObjectNode other = (ObjectNode) header.get(names.get(random.nextInt(names.size())));
                JsonNode offsets = entry.get("data_offsets");
                entry.set("data_offsets", other.get("data_offsets"));
                other.set("data_offsets", offsets);
                description = name + " swaps offsets";
            }
            case 4 -> {
                String field = List.of("dtype", "shape", "data_offsets").get(random.nextInt(3));
                entry.remove(field);
                description = name + " without " + field;
            }
            case 5 -> {
                if (random.nextBoolean()) {
                    header.remove(name);
                    return new Mutation("remove " + name, configBytes, safetensors(header, data));
                }
                // Rename one tensor to another's name: the header then names that tensor twice.
                String other = names.get(random.nextInt(names.size()));
                String json = JSON.writeValueAsString(header).replace("\"" + name + "\":", "\"" + other + "\":");
                return new Mutation(name + " renamed " + other, configBytes, safetensors(json, data));
            }
            case 6 -> {
                byte[] file = safetensors(header, data);
                ByteBuffer.wrap(file)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(
                                0,
                                random.nextBoolean()
                                        ? INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)]
                                        : file.length - 8 - data.length + random.nextInt(33) - 16);
                return new Mutation("header length field", configBytes, file);
            }
            case 7 -> {
                byte[] file = safetensors(header, data);
                int headerEnd = file.length - data.length;
                flipBytes(random, file, 8, headerEnd);
                return new Mutation("flipped header bytes", configBytes, file);
            }
            case 8 -> {
                byte[] file = safetensors(header, data);
                int length = random.nextInt(file.length + 64);
                return new Mutation(
                        "file cut or padded to " + length + " bytes", configBytes, Arrays.copyOf(file, length));
            }
            default -> {
                // Flip data bytes only: the header stays valid and the checkpoint must load (with other weights).
                byte[] file = safetensors(header, data);
                flipBytes(random, file, file.length - data.length, file.length);
                return new Mutation("flipped data bytes", configBytes, file);
            }
        }
        return new Mutation(description, configBytes, safetensors(header, data));
    }

    private static JsonNode interestingValue(Random random) throws IOException {
        String[] values = {
            "null",
            "true",
            "\"llama\"",
            "\"\"",
            "[]",
            "{}",
            "[1,2]",
            "1.5",
            "-0.0",
            "1e30",
            "-1",
            "0",
            "2147483648",
            "1000000000",
            "[null]",
            "{\"rope_type\":\"linear\",\"factor\":2}"
        };
        return JSON.readTree(values[random.nextInt(values.length)]);
    }

    private static void flipBytes(Random random, byte[] bytes, int from, int to) {
        if (to <= from) {
            return;
        }
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
            bytes[from + random.nextInt(to - from)] ^= (byte) (1 << random.nextInt(8));
        }
    }

    private static byte[] safetensors(ObjectNode header, byte[] data) throws IOException {
        return safetensors(JSON.writeValueAsString(header), data);
    }

    private static byte[] safetensors(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json).put(data);
        return file.array();
    }
}
