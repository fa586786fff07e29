package io.github.sdsat.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small Llama checkpoints and hand-made safetensors bytes for the checkpoint-layer tests. */
final class TinyCheckpoints {
    private TinyCheckpoints() {}

    /** hidden 16, intermediate 40, 2 layers, 4 heads sharing 2 KV heads (GQA), vocab 50. */
    static LlamaConfig gqaConfig(boolean tied) {
        return new LlamaConfig(16, 40, 2, 4, 2, 4, 50, 1e-5, 10000.0, 64, tied, 1, List.of(2), "float32");
    }

    /** Random tensors with exactly the names and shapes the configuration needs. */
    static Map<String, SafetensorsWriter.Tensor> randomWeights(LlamaConfig config, SafetensorsDtype dtype, long seed) {
        Random random = new Random(seed);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        config.tensorShapes().forEach((name, shape) -> {
            float[] data = new float[(int) TensorInfo.elementCount(shape)];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) random.nextGaussian();
            }
            tensors.put(name, new SafetensorsWriter.Tensor(dtype, shape, data));
        });
        return tensors;
    }

    static Path writeFolder(Path folder, LlamaConfig config, Map<String, SafetensorsWriter.Tensor> tensors)
            throws IOException {
        Files.createDirectories(folder);
        config.write(folder.resolve("config.json"));
        SafetensorsWriter.write(folder.resolve("model.safetensors"), tensors);
        return folder;
    }

    /** A safetensors file made by hand: declared header length, header text, then data bytes. */
    static Path rawSafetensors(Path file, long declaredHeaderLength, String header, byte[] data) throws IOException {
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer =
                ByteBuffer.allocate(8 + headerBytes.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(declaredHeaderLength).put(headerBytes).put(data);
        Files.write(file, buffer.array());
        return file;
    }

    static Path rawSafetensors(Path file, String header, byte[] data) throws IOException {
        return rawSafetensors(file, header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }
}
