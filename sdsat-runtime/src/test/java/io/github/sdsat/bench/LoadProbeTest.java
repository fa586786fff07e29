package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadProbeTest {

    @Test
    void reportsTheLoadTheResidentMemoryAndTheBfloat16BytesPerPass(@TempDir Path dir) throws IOException {
        LlamaConfig config =
                new LlamaConfig(64, 96, 2, 4, 4, 16, 128, 1e-5, 10000.0, 64, false, 1, List.of(2), "bfloat16");
        Random random = new Random(1);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        config.tensorShapes().forEach((name, shape) -> {
            float[] data = new float[(int) (shape.length == 1 ? shape[0] : shape[0] * shape[1])];
            for (int i = 0; i < data.length; i++) {
                data[i] = name.endsWith("norm.weight") ? 1f : (float) (0.1 * random.nextGaussian());
            }
            tensors.put(name, new SafetensorsWriter.Tensor(SafetensorsDtype.BF16, shape, data));
        });
        Files.createDirectories(dir);
        config.write(dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);

        List<String> lines = LoadProbe.run(dir, 3, 2);

        assertThat(lines.get(1)).startsWith("after load: load ").contains("java ");
        // 2 bytes per weight of every matrix and the LM head (all sizes are whole tiles); not the embedding or gains.
        long bytes = Long.parseLong(lines.get(2).replaceAll("weight bytes per pass: (\\d+) .*", "$1"));
        assertThat(bytes).isEqualTo(2L * (config.parameterCount() - 128 * 64 - 5 * 64));
        assertThat(lines).anyMatch(l -> l.startsWith("prefill of 3 tokens: "));
        assertThat(lines).filteredOn(l -> l.startsWith("one-token pass ")).hasSize(2);
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertThat(lines.get(lines.size() - 1)).contains("peak RSS ").contains(" kB");
        }
    }
}
