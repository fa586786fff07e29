package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.SdsatException;
import io.github.sdsat.widen.RandomCheckpoint;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Half-precision checkpoints on the Java CPU pass ({@link CheckpointPacker}, {@link Bf16VectorTiles}): bfloat16
 * weights are kept as 2 bytes and widened exactly in the kernels, so a bfloat16 checkpoint gives bit for bit the logits
 * of the same values stored as float32, for every pass width, row-block plan, thread count and kernel; float16 is
 * widened at load and gives bit for bit the logits of its exact float32 values; the heap is checked before packing.
 */
class HalfPrecisionCheckpointTest {

    /**
     * hidden 40 (not a multiple of any vector length), head_dim 16 with 4 heads (attention width 64 != hidden), GQA,
     * intermediate 72, vocab 300 (several output tiles), untied head.
     */
    private static LlamaConfig config(boolean tied) {
        return new LlamaConfig(40, 72, 2, 4, 2, 16, 300, 1e-5, 10000.0, 256, tied, 1, List.of(2), "bfloat16");
    }

    /** Weights N(0, 0.15) and norm gains 1 + N(0, 0.2) (gains that are not 1: they must reach the activations). */
    private static Map<String, float[]> randomValues(LlamaConfig config, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        config.tensorShapes().forEach((name, shape) -> {
            float[] data = new float[(int) TensorInfo.elementCount(shape)];
            boolean gain = name.endsWith("norm.weight");
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (gain ? 1 + 0.2 * random.nextGaussian() : 0.15 * random.nextGaussian());
            }
            values.put(name, data);
        });
        return values;
    }

    private static Map<String, float[]> rounded(Map<String, float[]> values, UnaryOperator<Float> rounding) {
        Map<String, float[]> out = new LinkedHashMap<>();
        values.forEach((name, data) -> {
            float[] r = new float[data.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = rounding.apply(data[i]);
            }
            out.put(name, r);
        });
        return out;
    }

    private static float bf16(float v) {
        return SafetensorsDtype.bf16BitsToFloat(SafetensorsDtype.floatToBf16Bits(v));
    }

    private static float f16(float v) {
        return SafetensorsDtype.f16BitsToFloat(SafetensorsDtype.floatToF16Bits(v));
    }

    private static Path write(Path folder, LlamaConfig config, Map<String, float[]> values, SafetensorsDtype dtype)
            throws IOException {
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = config.tensorShapes();
        values.forEach((name, data) -> tensors.put(name, new SafetensorsWriter.Tensor(dtype, shapes.get(name), data)));
        return TinyCheckpoints.writeFolder(folder, config, tensors);
    }

    private static LlamaModel load(LlamaConfig config, WeightSource source, String kernels, int threads) {
        return LlamaModel.fromSource(config, source, Device.cpu(), DataType.FLOAT32, kernels, threads);
    }

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    /**
     * Runs the same passes on both models and asserts bit-identical logits: a prefill of 7 tokens, then one pass of
     * each width 1..16 on the growing cache, then a masked (tree-shaped) pass of 6 tokens. Cold: the first passes of
     * a model run partly interpreted, and must give the same bits as compiled ones (the vector API's EXP did not: 56
     * of 4,096 values differed by an ulp between interpreted and compiled code; {@link PolynomialExp} does).
     */
    private static void assertSameLogits(LlamaModel expected, LlamaModel actual, String what) {
        int vocab = expected.config().vocabSize();
        long[] tokens = new Random(17).longs(7 + 136 + 6, 0, vocab).toArray();
        try (KvCache a = expected.newCache(160);
                KvCache b = actual.newCache(160)) {
            int done = 0;
            for (int n : new int[] {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}) {
                long[] part = Arrays.copyOfRange(tokens, done, done + n);
                long[] pos = LongStream.range(done, done + n).toArray();
                float[] want = expected.logits(a, part, pos, null, 0);
                float[] got = actual.logits(b, part, pos, null, 0);
                assertArrayEquals(bits(want), bits(got), what + ": logits of a " + n + "-token pass at " + done);
                done += n;
            }
            // A tree of 6 nodes: 0 -> {1, 2}, 1 -> 3, 2 -> {4, 5}; every node sees the cache and its ancestors.
            int[] parent = {-1, 0, 0, 1, 2, 2};
            int total = done + parent.length;
            float[] mask = new float[parent.length * total];
            Arrays.fill(mask, LlamaModel.blocked());
            long[] pos = new long[parent.length];
            for (int i = 0; i < parent.length; i++) {
                Arrays.fill(mask, i * total, i * total + done, 0f);
                int depth = 0;
                for (int j = i; j >= 0; j = parent[j]) {
                    mask[i * total + done + j] = 0f;
                    depth += j == i ? 0 : 1;
                }
                pos[i] = done + depth;
            }
            long[] part = Arrays.copyOfRange(tokens, done, total);
            int[] want = bits(expected.logits(a, part, pos, mask, 0));
            int[] got = bits(actual.logits(b, part, pos, mask, 0));
            assertArrayEquals(want, got, what + ": logits of a masked tree pass");
        }
    }

    @Test
    void bfloat16WeightsGiveBitIdenticalLogitsToTheSameValuesInFloat32(@TempDir Path dir) throws IOException {
        for (boolean tied : new boolean[] {false, true}) {
            LlamaConfig config = config(tied);
            Map<String, float[]> values =
                    rounded(randomValues(config, tied ? 5L : 4L), HalfPrecisionCheckpointTest::bf16);
            Path bf16 = write(dir.resolve("bf16-" + tied), config, values, SafetensorsDtype.BF16);
            Path f32 = write(dir.resolve("f32-" + tied), config, values, SafetensorsDtype.F32);
            try (Checkpoint halves = Checkpoint.open(bf16);
                    Checkpoint floats = Checkpoint.open(f32)) {
                for (String kernels : new String[] {"java", "scalar"}) {
                    for (int threads : kernels.equals("java") ? new int[] {1, 2} : new int[] {1}) {
                        String what = kernels + ", " + threads + " thread(s), tied " + tied;
                        try (LlamaModel half = load(config, halves, kernels, threads);
                                LlamaModel full = load(config, floats, kernels, threads)) {
                            assertSameLogits(full, half, what);
                            assertThat(half.backend()).endsWith(", bfloat16 weights");
                            assertThat(full.backend()).doesNotContain("bfloat16");
                            assertThat(half.weightBytesPerPass() * 2)
                                    .as("bfloat16 bytes per pass are half the float32 ones, " + what)
                                    .isEqualTo(full.weightBytesPerPass());
                        }
                    }
                }
                // The weights read as float32 tensors (the path of trained parameters) pack to the same model.
                try (LlamaModel inMemory = load(config, new InMemoryWeights(values), "java", 1);
                        LlamaModel half = load(config, halves, "java", 1)) {
                    assertSameLogits(inMemory, half, "bfloat16 checkpoint against in-memory float32, tied " + tied);
                }
            }
        }
    }

    @Test
    void bfloat16TilesMultiplyBitForBitLikeFloat32TilesOfTheSameValues() {
        Random random = new Random(21);
        for (CpuKernels kernels : new CpuKernels[] {CpuKernels.best(), new ScalarCpuKernels()}) {
            for (int in : new int[] {1, 40, 77}) {
                int out = 3 * kernels.tileWidth() - 5; // a padded last tile
                float[] w = new float[out * in];
                short[] halves = new short[w.length];
                for (int i = 0; i < w.length; i++) {
                    halves[i] = SafetensorsDtype.floatToBf16Bits((float) random.nextGaussian());
                    w[i] = SafetensorsDtype.bf16BitsToFloat(halves[i]);
                }
                PackedMatrix full = PackedMatrix.pack(w, out, in, kernels.tileWidth());
                PackedMatrix half = PackedMatrix.allocate(out, in, kernels.tileWidth(), true);
                half.putRows(0, halves, 0, 7);
                half.putRows(7, halves, 7 * in, out - 7); // in two blocks, as a checkpoint is packed
                assertThat(half.bytes() * 2).isEqualTo(full.bytes());
                for (boolean streamed : new boolean[] {false, true}) {
                    full.streamedFromMemory = streamed;
                    half.streamedFromMemory = streamed;
                    for (int rows = 1; rows <= 16; rows++) {
                        float[] x = new float[rows * in];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = (float) random.nextGaussian();
                        }
                        float[] want = new float[rows * full.paddedOut()];
                        float[] got = new float[rows * half.paddedOut()];
                        kernels.matmul(x, rows, full, want, 0, full.tiles);
                        kernels.matmul(x, rows, half, got, 0, 1); // tile ranges as the workers split them
                        kernels.matmul(x, rows, half, got, 1, half.tiles);
                        assertArrayEquals(
                                bits(want),
                                bits(got),
                                kernels.name() + ", in " + in + ", " + rows + " rows, streamed " + streamed);
                        // Each row as a pass of that row alone gives it: the row-block plan does not reach the bits.
                        float[] alone = new float[half.paddedOut()];
                        for (int r = 0; r < rows; r++) {
                            kernels.matmul(Arrays.copyOfRange(x, r * in, (r + 1) * in), 1, half, alone, 0, half.tiles);
                            int from = r * half.paddedOut();
                            assertArrayEquals(
                                    bits(alone),
                                    bits(Arrays.copyOfRange(got, from, from + half.paddedOut())),
                                    kernels.name() + ", in " + in + ", row " + r + " of " + rows + " rows");
                        }
                    }
                }
            }
        }
    }

    @Test
    void bfloat16IsBitIdenticalOnTheSmallRowBlocksOfModelsStreamedFromMemory(@TempDir Path dir) throws IOException {
        LlamaConfig config = config(false);
        Map<String, float[]> values = rounded(randomValues(config, 9L), HalfPrecisionCheckpointTest::bf16);
        String previous = System.getProperty("sdsat.cpuCacheBytes");
        System.setProperty("sdsat.cpuCacheBytes", "4096"); // every matrix counts as streamed from memory
        try (Checkpoint halves = Checkpoint.open(write(dir.resolve("bf16"), config, values, SafetensorsDtype.BF16));
                Checkpoint floats = Checkpoint.open(write(dir.resolve("f32"), config, values, SafetensorsDtype.F32));
                LlamaModel half = load(config, halves, "java", 2);
                LlamaModel full = load(config, floats, "java", 2)) {
            assertThat(half.backend()).contains("streamed from memory");
            assertSameLogits(full, half, "streamed row blocks");
        } finally {
            if (previous == null) {
                System.clearProperty("sdsat.cpuCacheBytes");
            } else {
                System.setProperty("sdsat.cpuCacheBytes", previous);
            }
        }
    }

    @Test
    void float16IsWidenedAtLoadAndGivesBitIdenticalLogitsToItsExactFloat32Values(@TempDir Path dir) throws IOException {
        LlamaConfig config = config(false);
        Map<String, float[]> values = rounded(randomValues(config, 6L), HalfPrecisionCheckpointTest::f16);
        try (Checkpoint halves = Checkpoint.open(write(dir.resolve("f16"), config, values, SafetensorsDtype.F16));
                Checkpoint floats = Checkpoint.open(write(dir.resolve("f32"), config, values, SafetensorsDtype.F32))) {
            for (int threads : new int[] {1, 2}) {
                try (LlamaModel half = load(config, halves, "java", threads);
                        LlamaModel full = load(config, floats, "java", threads)) {
                    assertSameLogits(full, half, "float16, " + threads + " thread(s)");
                    assertThat(half.weightBytesPerPass())
                            .as("float16 is widened to float32 at load")
                            .isEqualTo(full.weightBytesPerPass());
                }
            }
        }
    }

    @Test
    void bfloat16LogitsStayCloseToTheDjlPassOnTheSameCheckpoint(@TempDir Path dir) throws IOException {
        // The Java pass does not fold (norm gains on activations, the query scale after the projection); the DJL pass
        // folds: the two differ by float rounding only.
        LlamaConfig config = config(false);
        Map<String, float[]> values = rounded(randomValues(config, 12L), HalfPrecisionCheckpointTest::bf16);
        try (Checkpoint halves = Checkpoint.open(write(dir.resolve("bf16"), config, values, SafetensorsDtype.BF16));
                LlamaModel java = load(config, halves, "java", 1);
                LlamaModel djl = load(config, halves, "djl", 1);
                KvCache a = java.newCache(16);
                KvCache b = djl.newCache(16)) {
            long[] tokens = new Random(3).longs(9, 0, 300).toArray();
            long[] pos = LongStream.range(0, 9).toArray();
            float[] got = java.logits(a, tokens, pos, null, 0);
            float[] want = djl.logits(b, tokens, pos, null, 0);
            double max = 0;
            for (int i = 0; i < want.length; i++) {
                max = Math.max(max, Math.abs(got[i] - want[i]));
            }
            assertThat(max).as("max |java - djl|").isLessThan(1e-4);
        }
    }

    @Test
    void theHeapEstimateIsWhatThePackedModelHolds(@TempDir Path dir) throws IOException {
        LlamaConfig config = config(false);
        Map<String, float[]> values = randomValues(config, 8L);
        for (SafetensorsDtype dtype : SafetensorsDtype.values()) {
            try (Checkpoint checkpoint = Checkpoint.open(write(dir.resolve(dtype.name()), config, values, dtype))) {
                int tile = CpuKernels.best().tileWidth();
                CheckpointPacker.Packed packed =
                        CheckpointPacker.pack(config, checkpoint, tile, 0, CpuHeapCheck.runtimeHeap());
                long held = packed.lmHead.bytes()
                        + (packed.embed != null ? 4L * packed.embed.length : 2L * packed.embedHalves.length)
                        + 4L * packed.finalNorm.length;
                for (int l = 0; l < config.numLayers(); l++) {
                    held += packed.qkv[l].bytes()
                            + packed.o[l].bytes()
                            + packed.gateUp[l].bytes()
                            + packed.down[l].bytes()
                            + 4L * packed.inputNorm[l].length
                            + 4L * packed.postNorm[l].length;
                }
                CpuHeapCheck.HeapEstimate estimate = CpuHeapCheck.estimate(
                        config, name -> checkpoint.info(name).dtype(), tile, 100, false);
                assertThat(estimate.weightBytes()).as(dtype.name()).isEqualTo(held);
                assertThat(estimate.kvCacheBytes()).isEqualTo(2L * 2 * 100 * config.kvSize() * 4);
                assertThat(estimate.storedBytes()).isEqualTo(config.parameterCount() * dtype.bytes());
                assertThat(packed.embedHalves != null).isEqualTo(dtype == SafetensorsDtype.BF16);
            }
        }
    }

    @Test
    void everyStoredByteIsReadOnceInPiecesOfAtMostTheChunkSize(@TempDir Path dir) throws IOException {
        // Embedding and LM head of 16 MiB in float32 and 8 MiB in bfloat16: larger than one read.
        LlamaConfig config =
                new LlamaConfig(1024, 64, 1, 8, 8, 128, 4096, 1e-5, 10000.0, 64, false, 1, List.of(2), "float32");
        Map<String, float[]> values = randomValues(config, 3L);
        for (SafetensorsDtype dtype : new SafetensorsDtype[] {SafetensorsDtype.F32, SafetensorsDtype.BF16}) {
            try (Checkpoint checkpoint = Checkpoint.open(write(dir.resolve(dtype.name()), config, values, dtype))) {
                long[] reads = new long[3]; // count, bytes, largest
                class CountingSource implements WeightSource, TensorBytes {
                    @Override
                    public boolean has(String name) {
                        return checkpoint.has(name);
                    }

                    @Override
                    public FloatBuffer tensor(String name, long... expectedShape) {
                        throw new AssertionError("a stored checkpoint is read in its own dtype, not as float32");
                    }

                    @Override
                    public TensorInfo info(String name) {
                        return checkpoint.info(name);
                    }

                    @Override
                    public void readBytes(TensorInfo info, long offset, java.nio.ByteBuffer target) {
                        reads[0]++;
                        reads[1] += target.remaining();
                        reads[2] = Math.max(reads[2], target.remaining());
                        checkpoint.readBytes(info, offset, target);
                    }
                }
                CheckpointPacker.Packed packed =
                        CheckpointPacker.pack(config, new CountingSource(), 64, 0, CpuHeapCheck.runtimeHeap());
                assertThat(reads[1]).as(dtype + ": bytes read").isEqualTo(config.parameterCount() * dtype.bytes());
                assertThat(reads[2]).as(dtype + ": largest read").isLessThanOrEqualTo(CheckpointPacker.CHUNK_BYTES);
                assertThat(reads[0])
                        .as(dtype + ": reads")
                        .isGreaterThan(config.tensorShapes().size());
                assertThat(packed.lmHead.halves != null).isEqualTo(dtype == SafetensorsDtype.BF16);
            }
        }
    }

    @Test
    void aCheckpointTooLargeForTheHeapIsRefusedBeforeAnyWeightIsRead(@TempDir Path dir) throws IOException {
        LlamaConfig config = config(false);
        Path folder = write(dir.resolve("bf16"), config, randomValues(config, 2L), SafetensorsDtype.BF16);
        CpuHeapCheck.HeapRoom tiny = heap(200_000, 150_000);
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThatThrownBy(() -> CheckpointPacker.pack(config, checkpoint, 64, 128, tiny))
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining(folder.toString())
                    .hasMessageContaining("of weights as stored")
                    .hasMessageContaining("the JVM's maximum heap is 0.00 GB")
                    .hasMessageContaining("-Xmx1g")
                    .hasMessageContaining("MAVEN_OPTS=-Xmx1g")
                    .hasMessageContaining("KV cache of 128 tokens");
        }
        // A source that fails the test when read: the refusal comes first. It holds the configuration's tensors
        // only (a source claiming every name would hold q/k/v biases, refused before the heap check).
        WeightSource unreadable = new WeightSource() {
            @Override
            public boolean has(String name) {
                return config.tensorShapes().containsKey(name);
            }

            @Override
            public FloatBuffer tensor(String name, long... expectedShape) {
                throw new AssertionError("read " + name + " before the heap check");
            }
        };
        assertThatThrownBy(() -> CheckpointPacker.pack(config, unreadable, 64, 128, tiny))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("needs about");
    }

    @Test
    void aSevenBillionParameterBfloat16CheckpointFitsFifteenGibibytesAndNotTwelve(@TempDir Path dir)
            throws IOException {
        Path configJson =
                Files.write(dir.resolve("config.json"), RandomCheckpoint.configBytes(RandomCheckpoint.CODELLAMA_7B));
        LlamaConfig codeLlama = LlamaConfig.load(configJson);
        CpuHeapCheck.HeapEstimate bf16 =
                CpuHeapCheck.estimate(codeLlama, name -> SafetensorsDtype.BF16, 64, 2048, false);
        CpuHeapCheck.HeapEstimate f32 = CpuHeapCheck.estimate(codeLlama, name -> SafetensorsDtype.F32, 64, 2048, false);
        assertThat(bf16.weightBytes()).isBetween(13_400_000_000L, 13_600_000_000L);
        long gains = (2L * 32 + 1) * 4096 * 4; // the norm gains are float32 on both
        assertThat(f32.weightBytes() - gains).isEqualTo(2 * (bf16.weightBytes() - gains));
        assertThat(bf16.kvCacheBytes()).isEqualTo(2L * 32 * 2048 * 4096 * 4);
        long gib = 1L << 30;
        CpuHeapCheck.requireHeap(
                codeLlama,
                name -> SafetensorsDtype.BF16,
                64,
                2048,
                false,
                heap(15 * gib, 15 * gib - 200_000_000L),
                "CodeLlama-7B");
        assertThatThrownBy(() -> CpuHeapCheck.requireHeap(
                        codeLlama,
                        name -> SafetensorsDtype.BF16,
                        64,
                        2048,
                        false,
                        heap(12 * gib, 12 * gib),
                        "CodeLlama-7B"))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("CodeLlama-7B (13.48 GB of weights as stored)")
                .hasMessageContaining("bfloat16 kept as 2 bytes per weight")
                .hasMessageContaining("-Xmx16g");
    }

    @Test
    void aBadKvCacheTokensPropertyIsRefusedByName() {
        String previous = System.getProperty("sdsat.kvCacheTokens");
        try {
            System.setProperty("sdsat.kvCacheTokens", "lots");
            assertThatThrownBy(() -> CpuHeapCheck.kvCacheTokens(config(false)))
                    .hasMessageContaining("sdsat.kvCacheTokens must be a number of tokens >= 0")
                    .hasMessageContaining("'lots'");
            System.setProperty("sdsat.kvCacheTokens", "300");
            assertThat(CpuHeapCheck.kvCacheTokens(config(false))).isEqualTo(300);
            System.clearProperty("sdsat.kvCacheTokens");
            assertThat(CpuHeapCheck.kvCacheTokens(config(false))).isEqualTo(256); // the context, under 2048
        } finally {
            if (previous == null) {
                System.clearProperty("sdsat.kvCacheTokens");
            } else {
                System.setProperty("sdsat.kvCacheTokens", previous);
            }
        }
    }

    private static CpuHeapCheck.HeapRoom heap(long max, long free) {
        return new CpuHeapCheck.HeapRoom() {
            @Override
            public long maxBytes() {
                return max;
            }

            @Override
            public long freeBytes(boolean collectFirst) {
                return free;
            }
        };
    }
}
