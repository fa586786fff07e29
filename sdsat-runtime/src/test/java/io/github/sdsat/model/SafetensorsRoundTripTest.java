package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static float[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * 3);
        }
        return values;
    }

    private static float[] toArray(FloatBuffer buffer) {
        float[] values = new float[buffer.remaining()];
        buffer.duplicate().get(values);
        return values;
    }

    @Test
    void float32IsExactAndTheBufferIsDirectAndNative() throws IOException {
        float[] data = gaussian(3 * 5, 1);
        data[0] = Float.MIN_VALUE;
        data[1] = Float.NEGATIVE_INFINITY;
        data[2] = -0.0f;
        Path file = dir.resolve("f32.safetensors");
        SafetensorsWriter.write(
                file, Map.of("w", new SafetensorsWriter.Tensor(SafetensorsDtype.F32, new long[] {3, 5}, data)));
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            FloatBuffer buffer = read.tensor("w", 3, 5);
            assertThat(buffer.isDirect()).isTrue();
            assertThat(buffer.order()).isEqualTo(ByteOrder.nativeOrder());
            assertThat(buffer.position()).isZero();
            assertThat(buffer.limit()).isEqualTo(15);
            float[] back = toArray(buffer);
            for (int i = 0; i < data.length; i++) {
                assertThat(Float.floatToRawIntBits(back[i])).isEqualTo(Float.floatToRawIntBits(data[i]));
            }
            assertThat(read.info("w").dtype()).isEqualTo(SafetensorsDtype.F32);
            assertThat(read.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void float16KeepsValuesWithinHalfPrecisionIncludingSubnormalsAndInfinity() throws IOException {
        float[] data = gaussian(1000, 2);
        float[] special = {
            0x1p-24f,
            3 * 0x1p-24f,
            -1000 * 0x1p-24f,
            0x1p-14f,
            65504f,
            1e6f,
            -1e6f,
            Float.POSITIVE_INFINITY,
            -0.0f,
            0f,
            1e-9f
        };
        System.arraycopy(special, 0, data, 0, special.length);
        Path file = dir.resolve("f16.safetensors");
        SafetensorsWriter.write(
                file, Map.of("h", new SafetensorsWriter.Tensor(SafetensorsDtype.F16, new long[] {10, 100}, data)));
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertThat(read.info("h").byteLength()).isEqualTo(2000);
            float[] back = toArray(read.tensor("h", 10, 100));
            float[] expectedSpecial = {
                0x1p-24f,
                3 * 0x1p-24f,
                -1000 * 0x1p-24f,
                0x1p-14f,
                65504f,
                Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY,
                -0.0f,
                0f,
                0f
            };
            assertThat(Arrays.copyOf(back, special.length)).containsExactly(expectedSpecial);
            assertThat(Float.floatToRawIntBits(back[8])).isEqualTo(0x80000000);
            for (int i = special.length; i < data.length; i++) {
                // Half has 11 significant bits: relative error at most 2^-11 for normal values.
                assertThat(back[i]).isCloseTo(data[i], within(Math.abs(data[i]) * 0x1p-11f + 0x1p-25f));
                assertThat(back[i])
                        .isEqualTo(SafetensorsDtype.f16BitsToFloat(SafetensorsDtype.floatToF16Bits(data[i])));
            }
        }
    }

    @Test
    void bfloat16KeepsValuesWithinItsPrecision() throws IOException {
        float[] data = gaussian(4 * 4 * 4, 3);
        data[0] = Float.MAX_VALUE; // rounds to infinity
        data[1] = 1e-40f; // float subnormal survives approximately
        Path file = dir.resolve("bf16.safetensors");
        SafetensorsWriter.write(
                file, Map.of("b", new SafetensorsWriter.Tensor(SafetensorsDtype.BF16, new long[] {4, 4, 4}, data)));
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            float[] back = toArray(read.tensor("b"));
            assertThat(back[0]).isEqualTo(Float.POSITIVE_INFINITY);
            // bfloat16 subnormals are steps of 2^-133: within half a step.
            assertThat(back[1]).isCloseTo(1e-40f, within(0x1p-134f));
            for (int i = 2; i < data.length; i++) {
                assertThat(back[i]).isCloseTo(data[i], within(Math.abs(data[i]) * 0x1p-8f));
            }
            assertThat(read.info("b").shape()).containsExactly(4, 4, 4);
        }
    }

    @Test
    void headerIsPaddedWithSpacesToAMultipleOf8AndKeepsMetadataAndOrder() throws IOException {
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        tensors.put(
                "z.first", new SafetensorsWriter.Tensor(SafetensorsDtype.F16, new long[] {3}, new float[] {1, 2, 3}));
        tensors.put("a.second", new SafetensorsWriter.Tensor(SafetensorsDtype.F32, new long[] {}, new float[] {7}));
        tensors.put("m.empty", new SafetensorsWriter.Tensor(SafetensorsDtype.BF16, new long[] {0, 4}, new float[0]));
        Path file = dir.resolve("meta.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt", "note", "sdsat"));

        byte[] bytes = Files.readAllBytes(file);
        long headerLength =
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).isZero();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertThat(header.stripTrailing()).endsWith("}");
        assertThat(header.substring(header.stripTrailing().length())).matches(" *");
        assertThat(bytes.length).isEqualTo(8 + headerLength + 3 * 2 + 4);
        JsonNode json = new ObjectMapper().readTree(header);
        assertThat(json.fieldNames().next()).isEqualTo("__metadata__");

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertThat(read.metadata()).containsEntry("note", "sdsat").containsEntry("format", "pt");
            assertThat(read.tensorNames()).containsExactly("z.first", "a.second", "m.empty");
            assertThat(toArray(read.tensor("z.first", 3))).containsExactly(1, 2, 3);
            assertThat(toArray(read.tensor("a.second"))).containsExactly(7);
            assertThat(read.tensor("m.empty", 0, 4).remaining()).isZero();
        }
        try (var siblings = Files.list(dir)) {
            assertThat(siblings).as("no temporary file is left behind").containsExactly(file);
        }
    }

    @Test
    void shardedFolderWithIndexLoadsAsOneCheckpoint() throws IOException {
        LlamaConfig config = TinyCheckpoints.gqaConfig(false);
        Map<String, SafetensorsWriter.Tensor> tensors = TinyCheckpoints.randomWeights(config, SafetensorsDtype.F32, 4);
        Path folder = Files.createDirectories(dir.resolve("sharded"));
        config.write(folder.resolve("config.json"));
        // 50x16 floats = 3200 bytes per embedding; 4000 bytes forces several shards.
        List<Path> shards = SafetensorsWriter.writeSharded(folder, tensors, 4000);
        assertThat(shards.size()).isGreaterThan(2);
        int n = shards.size();
        assertThat(shards.get(0).getFileName().toString())
                .isEqualTo(String.format("model-00001-of-%05d.safetensors", n));
        assertThat(shards.get(n - 1).getFileName().toString())
                .isEqualTo(String.format("model-%05d-of-%05d.safetensors", n, n));
        for (Path shard : shards) {
            try (SafetensorsFile file = SafetensorsFile.open(shard)) {
                long bytes = file.tensorNames().stream()
                        .mapToLong(t -> file.info(t).byteLength())
                        .sum();
                assertThat(bytes <= 4000 || file.tensorNames().size() == 1).isTrue();
            }
        }

        JsonNode index = new ObjectMapper()
                .readTree(folder.resolve("model.safetensors.index.json").toFile());
        long totalBytes =
                tensors.values().stream().mapToLong(t -> t.data().length * 4L).sum();
        assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(totalBytes);
        assertThat(index.get("weight_map").size()).isEqualTo(tensors.size());

        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThat(checkpoint.files()).containsExactlyElementsOf(shards);
            assertThat(checkpoint.config()).isEqualTo(config);
            assertThat(checkpoint.tensorNames()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            checkpoint.validateAgainst(config);
            for (Map.Entry<String, SafetensorsWriter.Tensor> entry : tensors.entrySet()) {
                assertThat(toArray(checkpoint.tensor(
                                entry.getKey(), entry.getValue().shape())))
                        .containsExactly(entry.getValue().data());
            }
            String last = "lm_head.weight";
            assertThat(checkpoint.info(last).file().getFileName().toString())
                    .isEqualTo(index.get("weight_map").get(last).asText());
        }
    }

    @Test
    void resavingWithFewerShardsRemovesTheStaleOnes() throws IOException {
        LlamaConfig config = TinyCheckpoints.gqaConfig(true);
        Map<String, SafetensorsWriter.Tensor> tensors = TinyCheckpoints.randomWeights(config, SafetensorsDtype.BF16, 5);
        Path folder = Files.createDirectories(dir.resolve("resave"));
        config.write(folder.resolve("config.json"));
        int many = SafetensorsWriter.writeSharded(folder, tensors, 2000).size();
        List<Path> one = SafetensorsWriter.writeSharded(folder, tensors, Long.MAX_VALUE);
        assertThat(many).isGreaterThan(1);
        assertThat(one).hasSize(1);
        try (var files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(
                            "config.json", "model.safetensors.index.json", "model-00001-of-00001.safetensors");
        }
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            checkpoint.validateAgainst(config);
            assertThat(checkpoint.info("model.norm.weight").dtype()).isEqualTo(SafetensorsDtype.BF16);
        }
    }

    @Test
    void shardingRefusesAFolderWhoseSingleFileWouldShadowTheIndex() throws IOException {
        LlamaConfig config = TinyCheckpoints.gqaConfig(false);
        Map<String, SafetensorsWriter.Tensor> tensors = TinyCheckpoints.randomWeights(config, SafetensorsDtype.F16, 6);
        Path folder = TinyCheckpoints.writeFolder(dir.resolve("single"), config, tensors);
        assertThatThrownBy(() -> SafetensorsWriter.writeSharded(folder, tensors, 4000))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("already holds model.safetensors");
    }

    @Test
    void tensorDataMustMatchItsShape() {
        assertThatThrownBy(() -> new SafetensorsWriter.Tensor(SafetensorsDtype.F32, new long[] {2, 3}, new float[5]))
                .hasMessageContaining("shape [2, 3] has 6 elements but the data has 5");
    }
}
