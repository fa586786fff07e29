package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path dir;

    private Path tinyFolder(String name, LlamaConfig config, SafetensorsDtype dtype) throws IOException {
        return TinyCheckpoints.writeFolder(
                dir.resolve(name), config, TinyCheckpoints.randomWeights(config, dtype, name.hashCode()));
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    @Test
    void opensAValidFolderAndReportsTensorInfo() throws IOException {
        LlamaConfig config = TinyCheckpoints.gqaConfig(true);
        Path folder = tinyFolder("ok", config, SafetensorsDtype.F16);
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            checkpoint.validateAgainst(checkpoint.config());
            assertThat(checkpoint.config()).isEqualTo(config);
            assertThat(checkpoint.tensorNames())
                    .hasSize(config.tensorShapes().size())
                    .doesNotContain("lm_head.weight");
            TensorInfo info = checkpoint.info("model.layers.1.self_attn.k_proj.weight");
            assertThat(info.dtype()).isEqualTo(SafetensorsDtype.F16);
            assertThat(info.shape()).containsExactly(8, 16);
            assertThat(info.file()).isEqualTo(folder.resolve("model.safetensors"));
            assertThat(checkpoint.has("lm_head.weight")).isFalse();
            assertThat(checkpoint.tensor("model.norm.weight", 16).remaining()).isEqualTo(16);
        }
    }

    @Test
    void missingConfigJsonNamesTheFolderAndWhatAModelFolderHolds() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("noconfig"));
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .isInstanceOf(SdsatException.class)
                .hasMessage(folder + " is not a Hugging Face model folder: config.json missing; expected config.json, "
                        + "tokenizer.json and model.safetensors (or model.safetensors.index.json with shards)");
        assertThatThrownBy(() -> Checkpoint.open(dir.resolve("nowhere")))
                .hasMessageContaining("nowhere does not exist");
    }

    @Test
    void missingWeightsAreNamed() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("noweights"));
        TinyCheckpoints.gqaConfig(false).write(folder.resolve("config.json"));
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .hasMessageContaining(folder + " has no weights: model.safetensors and "
                        + "model.safetensors.index.json are both missing");
    }

    @Test
    void truncatedDataIsReportedWithTheFileAndTensor() throws IOException {
        Path folder = tinyFolder("truncated", TinyCheckpoints.gqaConfig(false), SafetensorsDtype.F32);
        Path weights = folder.resolve("model.safetensors");
        truncate(weights, Files.size(weights) - 100);
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("tensor 'lm_head.weight' in " + weights)
                .hasMessageContaining("point past the end of the file")
                .hasMessageContaining("truncated");
    }

    @Test
    void fileCutInsideTheHeaderIsReported() throws IOException {
        Path folder = tinyFolder("cut", TinyCheckpoints.gqaConfig(false), SafetensorsDtype.F32);
        Path weights = folder.resolve("model.safetensors");
        truncate(weights, 40);
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .hasMessageContaining(weights.toString())
                .hasMessageContaining("is larger than the file (40 bytes)")
                .hasMessageContaining("truncated");
        truncate(weights, 5);
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .hasMessageContaining(weights + " is truncated: it is 5 bytes");
    }

    @Test
    void headerPointingPastTheEndIsReported() throws IOException {
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("past.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                new byte[16]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .hasMessageContaining("tensor 'w' in " + file)
                .hasMessageContaining("data_offsets [8, 24] point past the end of the file")
                .hasMessageContaining("the data section is 16 bytes");
    }

    @Test
    void headerLengthLargerThanTheFileIsReported() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path file = TinyCheckpoints.rawSafetensors(dir.resolve("long.safetensors"), 10_000, header, new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .hasMessageContaining(file + ": header length 10000 is larger than the file");
        Path absurd = TinyCheckpoints.rawSafetensors(dir.resolve("absurd.safetensors"), -5, header, new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(absurd))
                .hasMessageContaining(absurd + ": header length 18446744073709551611 is not a plausible");
    }

    @Test
    void corruptHeadersAreReported() throws IOException {
        Path notJson = TinyCheckpoints.rawSafetensors(dir.resolve("notjson.safetensors"), "{\"w\":{", new byte[0]);
        assertThatThrownBy(() -> SafetensorsFile.open(notJson))
                .hasMessageContaining(notJson + ": the safetensors header is not valid JSON");
        Path wrongSize = TinyCheckpoints.rawSafetensors(
                dir.resolve("size.safetensors"),
                "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}",
                new byte[8]);
        assertThatThrownBy(() -> SafetensorsFile.open(wrongSize))
                .hasMessageContaining("tensor 'w' in " + wrongSize)
                .hasMessageContaining("hold 8 bytes, but dtype F16 with shape [2, 3] needs 12");
        Path badShape = TinyCheckpoints.rawSafetensors(
                dir.resolve("shape.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(badShape))
                .hasMessageContaining("shape must be a list of non-negative integers, found [-1]");
    }

    @Test
    void unsupportedDtypeIsRefusedByName() throws IOException {
        Path file = TinyCheckpoints.rawSafetensors(
                dir.resolve("int8.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},\"q\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("tensor 'q' in " + file)
                .hasMessageContaining("unsupported dtype 'I8'")
                .hasMessageContaining("supported dtypes are [F32, F16, BF16]");
    }

    @Test
    void missingTensorNamesTheTensorAndTheFilesSearched() throws IOException {
        LlamaConfig config = TinyCheckpoints.gqaConfig(false);
        Path folder = tinyFolder("missing", config, SafetensorsDtype.F32);
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThatThrownBy(() -> checkpoint.tensor("model.layers.9.mlp.up_proj.weight"))
                    .hasMessageContaining("tensor 'model.layers.9.mlp.up_proj.weight' not found in "
                            + folder.resolve("model.safetensors"));
        }

        Map<String, SafetensorsWriter.Tensor> tensors = TinyCheckpoints.randomWeights(config, SafetensorsDtype.F32, 1);
        tensors.remove("model.layers.1.mlp.down_proj.weight");
        tensors.remove("lm_head.weight");
        Path incomplete = TinyCheckpoints.writeFolder(dir.resolve("incomplete"), config, tensors);
        try (Checkpoint checkpoint = Checkpoint.open(incomplete)) {
            assertThatThrownBy(() -> checkpoint.validateAgainst(config))
                    .hasMessageContaining("the weights in " + incomplete + " do not match")
                    .hasMessageContaining("2 problem(s)")
                    .hasMessageContaining(
                            "missing tensor model.layers.1.mlp.down_proj.weight (expected shape [16, 40])")
                    .hasMessageContaining("missing tensor lm_head.weight (expected shape [50, 16]) "
                            + "(if the model ties lm_head to the embeddings, config.json must say "
                            + "tie_word_embeddings: true)");
        }
    }

    @Test
    void shardedFolderNamesTheIndexWhenATensorOrShardIsMissing() throws IOException {
        LlamaConfig config = TinyCheckpoints.gqaConfig(false);
        Path folder = Files.createDirectories(dir.resolve("shards"));
        config.write(folder.resolve("config.json"));
        List<Path> shards = SafetensorsWriter.writeSharded(
                folder, TinyCheckpoints.randomWeights(config, SafetensorsDtype.F16, 2), 3000);
        Path index = folder.resolve("model.safetensors.index.json");
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThatThrownBy(() -> checkpoint.info("model.embed.weight"))
                    .hasMessageContaining("tensor 'model.embed.weight' not found in " + index + " (weight_map over "
                            + shards.size() + " shards)");
        }
        Files.delete(shards.get(1));
        assertThatThrownBy(() -> Checkpoint.open(folder))
                .hasMessageContaining(index + " maps")
                .hasMessageContaining("to shard " + shards.get(1).getFileName() + ", which is missing from " + folder);
    }

    @Test
    void shapesThatDoNotMatchTheConfigAreAllReportedAtOnce() throws IOException {
        LlamaConfig written = TinyCheckpoints.gqaConfig(false);
        Path folder = tinyFolder("shapes", written, SafetensorsDtype.BF16);
        // Claim full multi-head attention and three layers: k/v projections of both layers are too small,
        // and layer 2 is missing entirely.
        LlamaConfig claimed =
                new LlamaConfig(16, 40, 3, 4, 4, 4, 50, 1e-5, 10000.0, 64, false, 1, List.of(2), "float32");
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThatThrownBy(() -> checkpoint.validateAgainst(claimed))
                    .hasMessageContaining("num_key_value_heads=4")
                    .hasMessageContaining("tensor model.layers.0.self_attn.k_proj.weight in model.safetensors has "
                            + "shape [8, 16] but the configuration needs [16, 16]")
                    .hasMessageContaining("tensor model.layers.1.self_attn.v_proj.weight in model.safetensors has "
                            + "shape [8, 16] but the configuration needs [16, 16]")
                    .hasMessageContaining("missing tensor model.layers.2.input_layernorm.weight")
                    .hasMessageContaining("13 problem(s)");
            // Fewer layers claimed than stored.
            LlamaConfig oneLayer =
                    new LlamaConfig(16, 40, 1, 4, 2, 4, 50, 1e-5, 10000.0, 64, false, 1, List.of(2), "float32");
            assertThatThrownBy(() -> checkpoint.validateAgainst(oneLayer))
                    .hasMessageContaining("tensors up to layer 1 (model.layers.1.*) but num_hidden_layers is 1");
            // Asking for a shape explicitly fails the same way, naming file and shapes.
            assertThatThrownBy(() -> checkpoint.tensor("model.embed_tokens.weight", 60, 16))
                    .hasMessageContaining("tensor 'model.embed_tokens.weight' in " + folder.resolve("model.safetensors")
                            + " has shape [50, 16] but [60, 16] was expected");
        }
    }

    @Test
    void storedDtypeNeedNotMatchTorchDtypeBecauseTensorsCarryTheirOwn() throws IOException {
        // config.json says float32 while the weights are F16: transformers loads this, and so do we (widening).
        LlamaConfig config = TinyCheckpoints.gqaConfig(false);
        Map<String, SafetensorsWriter.Tensor> tensors = TinyCheckpoints.randomWeights(config, SafetensorsDtype.F32, 3);
        Map<String, SafetensorsWriter.Tensor> mixed = new LinkedHashMap<>();
        tensors.forEach((name, t) -> mixed.put(
                name,
                new SafetensorsWriter.Tensor(
                        name.endsWith("norm.weight") ? SafetensorsDtype.F32 : SafetensorsDtype.F16,
                        t.shape(),
                        t.data())));
        Path folder = TinyCheckpoints.writeFolder(dir.resolve("mixed"), config, mixed);
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            checkpoint.validateAgainst(config);
            assertThat(checkpoint.info("model.norm.weight").dtype()).isEqualTo(SafetensorsDtype.F32);
            assertThat(checkpoint.info("lm_head.weight").dtype()).isEqualTo(SafetensorsDtype.F16);
        }
    }

    @Test
    void tensorsBeyondTwoGibibytesAreReadWithLongOffsets() throws IOException {
        // A sparse 2.4 GB file: a 1.2 G-element F16 tensor followed by a small F32 tensor; only the tail is written.
        long bigBytes = 2_400_000_000L;
        String header = "{\"big\":{\"dtype\":\"F16\",\"shape\":[1200000000],\"data_offsets\":[0," + bigBytes
                + "]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + bigBytes + "," + (bigBytes + 8)
                + "]}}";
        Path file = TinyCheckpoints.rawSafetensors(dir.resolve("sparse.safetensors"), header, new byte[0]);
        long dataStart = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer tail = ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(1.5f)
                    .putFloat(-2.25f)
                    .flip();
            channel.write(tail, dataStart + bigBytes);
        }
        try (SafetensorsFile sparse = SafetensorsFile.open(file)) {
            assertThat(sparse.info("w").fileOffset()).isGreaterThan(Integer.MAX_VALUE);
            FloatBuffer w = sparse.tensor("w", 2);
            assertThat(w.get(0)).isEqualTo(1.5f);
            assertThat(w.get(1)).isEqualTo(-2.25f);
            assertThatThrownBy(() -> sparse.tensor("big"))
                    .hasMessageContaining("tensor 'big' in " + file + " has 1200000000 elements, more than one "
                            + "float32 buffer can hold");
        }
    }

    @Test
    void readingAfterCloseIsRefused() throws IOException {
        Path folder = tinyFolder("closed", TinyCheckpoints.gqaConfig(true), SafetensorsDtype.F32);
        Checkpoint checkpoint = Checkpoint.open(folder);
        checkpoint.close();
        assertThatThrownBy(() -> checkpoint.tensor("model.norm.weight"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
    }
}
