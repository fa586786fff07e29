package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.model.SafetensorsWriter.StreamedTensor;
import io.github.sdsat.model.SafetensorsWriter.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tensor made row by row while it is written gives the same file as the whole tensor, in every dtype. */
class StreamedTensorTest {

    @TempDir
    Path dir;

    @Test
    void streamedRowsWriteTheSameBytesAsTheWholeTensor() throws Exception {
        float[] matrix = new float[3 * 5];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) Math.sin(i) * 3.7f;
        }
        float[] vector = {1.5f, -2.25f, 1e-3f, 65504f};
        for (SafetensorsDtype dtype : SafetensorsDtype.values()) {
            Map<String, SafetensorsWriter.TensorData> whole = new LinkedHashMap<>();
            whole.put("m", new Tensor(dtype, new long[] {3, 5}, matrix));
            whole.put("v", new Tensor(dtype, new long[] {4}, vector));
            Map<String, SafetensorsWriter.TensorData> streamed = new LinkedHashMap<>();
            streamed.put(
                    "m",
                    new StreamedTensor(
                            dtype,
                            new long[] {3, 5},
                            () -> (row, out) -> System.arraycopy(matrix, (int) row * 5, out, 0, 5)));
            streamed.put("v", new StreamedTensor(dtype, new long[] {4}, () -> (row, out) -> {
                assertThat(row).isZero(); // a vector is one row
                System.arraycopy(vector, 0, out, 0, 4);
            }));
            Path a = dir.resolve("whole-" + dtype + ".safetensors");
            Path b = dir.resolve("streamed-" + dtype + ".safetensors");
            SafetensorsWriter.write(a, whole);
            SafetensorsWriter.write(b, streamed);
            assertThat(Files.readAllBytes(b)).as(dtype.name()).isEqualTo(Files.readAllBytes(a));
        }
    }

    @Test
    void aRowLongerThanAJavaArrayIsRefused() {
        assertThatThrownBy(() ->
                        new StreamedTensor(SafetensorsDtype.BF16, new long[] {2, 1L << 31}, () -> (row, out) -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than one Java array holds");
    }
}
