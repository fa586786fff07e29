package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.bench.TinyModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors format's own rules and the bounds on config.json and tokenizer.json, for checkpoints from
 * untrusted sources (issue 11): each is refused with an {@link SdsatException} naming the file, the field or tensor,
 * and the fix, before anything is allocated from the bad value.
 */
class UntrustedCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DeviceChoice CPU = DeviceChoice.resolve("cpu", "float32");

    @TempDir
    static Path shared;

    private static Path base;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeBaseFolder() {
        base = TinyModelFolder.write(shared.resolve("base"), 7L);
    }

    /** A copy of the tiny model folder with config.json edited. */
    private Path withConfig(String name, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        try (var files = Files.list(base)) {
            for (Path file : files.toList()) {
                Files.copy(file, folder.resolve(file.getFileName()));
            }
        }
        ObjectNode config =
                (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        edit.accept(config);
        Files.writeString(folder.resolve("config.json"), config.toString());
        return folder;
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    // ---------------------------------------------------------------------------------------------- safetensors

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("overlap.safetensors"),
                "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 4, 12) + "}",
                new byte[12]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("tensor 'b' in " + file)
                .hasMessageContaining(
                        "begins at byte 4 of the data section, which overlaps tensor 'a' (ending at " + "byte 8)")
                .hasMessageContaining("download or save it again");
    }

    @Test
    void gapsBetweenTensorsAndBytesNoTensorDescribesAreRefused() throws IOException {
        Path gap = TinyCheckpoints.rawSafetensors(
                dir.resolve("gap.safetensors"),
                "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[1]", 8, 12) + "}",
                new byte[12]);
        assertThatThrownBy(() -> SafetensorsFile.open(gap))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("tensor 'b' in " + gap)
                .hasMessageContaining("leaves a gap of 4 bytes after tensor 'a'");
        Path late = TinyCheckpoints.rawSafetensors(
                dir.resolve("late.safetensors"), "{" + tensor("a", "F32", "[1]", 4, 8) + "}", new byte[8]);
        assertThatThrownBy(() -> SafetensorsFile.open(late))
                .hasMessageContaining("leaves a gap of 4 bytes after the start of the data section");
        Path trailing = TinyCheckpoints.rawSafetensors(
                dir.resolve("trailing.safetensors"), "{" + tensor("a", "F32", "[1]", 0, 4) + "}", new byte[12]);
        assertThatThrownBy(() -> SafetensorsFile.open(trailing))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(trailing + ": the tensors end at byte 4 of the data section, but it is 12 bytes;"
                        + " the file has 8 bytes that no tensor describes");
    }

    @Test
    void tensorsOutOfOrderInTheHeaderAreFineWhenTheirDataTilesTheFile() throws IOException {
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("order.safetensors"),
                "{" + tensor("b", "F32", "[1]", 4, 8) + "," + tensor("a", "F16", "[2]", 0, 4) + ","
                        + tensor("empty", "F32", "[0, 3]", 8, 8) + "}",
                new byte[8]);
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThat(opened.tensorNames()).containsExactly("a", "b", "empty");
            assertThat(opened.tensor("empty").capacity()).isZero();
        }
    }

    @Test
    void aTensorNamedTwiceIsRefused() throws IOException {
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("twice.safetensors"),
                "{" + tensor("w", "F32", "[1]", 0, 4) + "," + tensor("w", "F32", "[1]", 4, 8) + "}",
                new byte[8]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(file + ": the safetensors header names a tensor twice")
                .hasMessageContaining("'w'")
                .hasMessageContaining("each tensor name must appear once");
    }

    @Test
    void shapesWhoseProductOverflowsAreRefused() throws IOException {
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("overflow.safetensors"),
                "{" + tensor("w", "F32", "[4294967296, 4294967296]", 0, 4) + "}",
                new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("tensor 'w' in " + file + ": shape [4294967296, 4294967296] is too large (the "
                        + "product of its entries overflows 64 bits)");
        Path hugeClaim = TinyCheckpoints.rawSafetensors(
                dir.resolve("claim.safetensors"),
                "{" + tensor("w", "F32", "[1000000000]", 0, 4000000000L) + "}",
                new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(hugeClaim))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("point past the end of the file");
    }

    @Test
    void headerLengthAboveTheFormatLimitIsRefusedBeforeReadingIt() throws IOException {
        String header = "{" + tensor("w", "F32", "[1]", 0, 4) + "}";
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("limit.safetensors"), SafetensorsHeader.MAX_HEADER_BYTES + 1, header, new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("header length " + (SafetensorsHeader.MAX_HEADER_BYTES + 1)
                        + " is not a plausible " + "safetensors header length (2 bytes to 100 MiB)");
    }

    // ---------------------------------------------------------------------------------------------- config.json

    @Test
    void absurdMaxPositionEmbeddingsIsRefusedNamingTheField() throws IOException {
        Path folder = withConfig("positions", c -> c.put("max_position_embeddings", 1_000_000_000));
        assertThatThrownBy(() -> LoadedModel.open(folder, CPU, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("max_position_embeddings is 1000000000, more than this runtime accepts (at most "
                        + LlamaConfig.MAX_POSITIONS)
                .hasMessageContaining("restore the config.json that came with the weights");
    }

    @Test
    void absurdSizesAreAllRefusedAtOnce() throws IOException {
        Path folder = withConfig("sizes", c -> {
            c.put("hidden_size", 1_000_000_000);
            c.put("head_dim", 2_000_000);
            c.put("vocab_size", 2_000_000_000);
            c.put("num_hidden_layers", 100_000);
            c.put("intermediate_size", Integer.MAX_VALUE);
        });
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("hidden_size is 1000000000, more than this runtime accepts")
                .hasMessageContaining("head_dim is 2000000")
                .hasMessageContaining("vocab_size is 2000000000")
                .hasMessageContaining("num_hidden_layers is 100000")
                .hasMessageContaining("intermediate_size is 2147483647");
    }

    @Test
    void aLongContextConfigBuildsRopeTablesOnlyForTheCacheARunAsksFor() {
        // 16M positions x head_dim 8 would be 512 MiB of cos/sin per table if sized by the config: both passes size
        // them by the cache instead, so this model loads and runs in the test JVM's memory.
        LlamaConfig config = new LlamaConfig(
                16, 40, 1, 2, 1, 8, 50, 1e-5, 10000.0, LlamaConfig.MAX_POSITIONS, true, 1, List.of(2), "float32");
        for (String kernels : List.of("java", "djl")) {
            try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
                    LlamaParameters parameters = LlamaParameters.initialize(config, manager, 3, 0.05);
                    LlamaModel model = LlamaModel.fromSource(
                            config, parameters.asWeightSource(), Device.cpu(), DataType.FLOAT32, kernels, 1);
                    KvCache cache = model.newCache(16)) {
                long[] next = model.argmax(cache, new long[] {1, 5, 7}, new long[] {0, 1, 2}, null, 2);
                assertThat(next).as(kernels).hasSize(1);
                assertThat(next[0]).as(kernels).isBetween(0L, 49L);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- tokenizer.json

    @Test
    void aTokenizerLargerThanTheModelsVocabularyIsRefusedBeforeTheWeightsLoad() throws IOException {
        Path folder = withConfig("vocab", c -> c.put("vocab_size", 100));
        // Garbage weights: if they were read first, the message would be about them.
        Files.write(folder.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> LoadedModel.open(folder, CPU, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("tokenizer.json has "
                        + (TinyModelFolder.MERGES
                                + 256
                                + io.github.sdsat.train.BpeTokenizerTrainer.DEFAULT_SPECIAL_TOKENS.size())
                        + " tokens but "
                        + "config.json's vocab_size is 100")
                .hasMessageContaining("use the tokenizer.json saved with this model");
    }

    @Test
    void tokenizerIdsThatAreNotTokenIdsAreRefused() throws IOException {
        for (String badId : List.of("-1", "2000000000", "\"seven\"", "1.5")) {
            Path folder = withConfig("id" + badId.hashCode(), c -> {});
            Path tokenizerJson = folder.resolve("tokenizer.json");
            ObjectNode tokenizer = (ObjectNode) JSON.readTree(tokenizerJson.toFile());
            ((ObjectNode) tokenizer.path("model").path("vocab")).set("def", JSON.readTree(badId));
            Files.writeString(tokenizerJson, tokenizer.toString());
            assertThatThrownBy(() -> LoadedModel.open(folder, CPU, null))
                    .as(badId)
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("tokenizer.json: model.vocab entry 'def' has id "
                            + badId.replace("\"", "").replace("seven", "\"seven\""))
                    .hasMessageContaining("which is not a token id");
        }
    }
}
