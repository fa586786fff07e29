package io.github.sdsat.widen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.SdsatException;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.InMemoryWeights;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter.Rows;
import io.github.sdsat.model.SafetensorsWriter.StreamedTensor;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The widening computes the source's function: on random weights with grouped-query attention (every mapping
 * rule exercised, float32, tight), and on the embedded SDSAT model written to disk as shards (float32: logits;
 * bfloat16: greedy ids). Three mutants (a RoPE pair at the wrong frequency, stream inputs not divided by m, q not
 * rescaled) must each fail the float32 check; bad shapes are refused before anything is written.
 */
class WideningTest {

    /** Source: hidden 16, intermediate 40, 2 layers, 4 query heads on 2 key/value heads of 4, untied, vocab 50. */
    private static final LlamaConfig GQA =
            new LlamaConfig(16, 40, 2, 4, 2, 4, 50, 1e-5, 10000.0, 64, false, 1, List.of(2), "float32");

    /** m = 3, n = 2, one extra layer, 12 query heads on 4 key/value heads (groups of 3 > 2), r = 2. */
    private static final Widening.Shape GQA_TARGET = new Widening.Shape(48, 80, 3, 12, 4, 8);

    /**
     * Float32 tolerance relative to the largest logit: the widened sums run in another order (m copies, divided
     * weights, √2 on q), which measured about 1e-6 here; every mutant is off by more than 1e-2.
     */
    private static final double F32_RELATIVE_TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    @Test
    void randomGqaModelWidenedGivesTheSameLogits() {
        Map<String, float[]> weights = randomWeights(GQA, 7);
        Widening widening = Widening.of(GQA, GQA_TARGET, SafetensorsDtype.F32);
        assertThat(relativeLogitError(weights, widening)).isLessThan(F32_RELATIVE_TOLERANCE);
    }

    @Test
    void mutantsOfTheWideningFailTheLogitCheck() {
        Map<String, float[]> weights = randomWeights(GQA, 7);
        Widening exact = Widening.of(GQA, GQA_TARGET, SafetensorsDtype.F32);
        LlamaConfig s = exact.source();
        LlamaConfig t = exact.target();
        Widening ropeAtSameIndex = new Widening(s, t) {
            @Override
            int sourceHeadDim(int targetDim) {
                // pair j at target pair j: same place in the head, but frequency θ^(-2j/D) instead of θ^(-2j/d)
                int half = t.headDim() / 2;
                int within = targetDim < half ? targetDim : targetDim - half;
                return within < s.headDim() / 2 ? (targetDim < half ? 0 : s.headDim() / 2) + within : -1;
            }
        };
        Widening inputsNotDivided = new Widening(s, t) {
            @Override
            double inputScale() {
                return 1.0;
            }
        };
        Widening queryNotRescaled = new Widening(s, t) {
            @Override
            double queryScale() {
                return 1.0;
            }
        };
        for (Widening mutant : List.of(ropeAtSameIndex, inputsNotDivided, queryNotRescaled)) {
            assertThat(relativeLogitError(weights, mutant)).isGreaterThan(1e-2);
        }
    }

    @Test
    void embeddedModelWidenedToShardsKeepsLogitsInF32AndGreedyIdsInBf16() throws IOException {
        // The lead's float64 check: m = 2, 6 layers, 8 heads x 128 (r = 2), intermediate x 2.
        Widening.Shape shape = new Widening.Shape(512, 1376, 6, 8, 8, 128);
        Path f32 = dir.resolve("sdsat-wide-f32");
        WidenCheckpoint.Outcome outcome = WidenCheckpoint.run(
                new WidenCheckpoint.Request("sdsat", f32, shape, SafetensorsDtype.F32, 40_000_000L));
        assertThat(outcome.shards()).hasSizeGreaterThan(1); // 117 MB of F32 in shards of 40 MB
        assertThat(f32.resolve(Checkpoint.INDEX_FILE)).isRegularFile();
        assertThat(f32.resolve("tokenizer.json")).isRegularFile();
        assertThat(Files.readString(f32.resolve("config.json")))
                .contains("\"sat_token_id\" : 6")
                .contains("\"tie_word_embeddings\" : false");
        assertThat(outcome.config().parameterCount()).isEqualTo(expectedParameters(shape, 4096));
        Path bf16 = dir.resolve("sdsat-wide-bf16");
        WidenCheckpoint.run(new WidenCheckpoint.Request(
                "sdsat", bf16, shape, SafetensorsDtype.BF16, WidenCheckpoint.DEFAULT_SHARD_BYTES));
        assertThat(Files.readString(bf16.resolve("config.json"))).contains("\"torch_dtype\" : \"bfloat16\"");

        Path source = EmbeddedModels.resolve("sdsat");
        List<String> prompts = List.of(
                "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
                "import os\n\n\ndef list_files(folder):\n",
                "class Stack:\n    def __init__(self):\n");
        try (SdsatTokenizer tokenizer = SdsatTokenizer.load(source);
                LlamaModel original = LlamaModel.load(source, Device.cpu(), DataType.FLOAT32);
                LlamaModel wideF32 = LlamaModel.load(f32, Device.cpu(), DataType.FLOAT32);
                LlamaModel wideBf16 = LlamaModel.load(bf16, Device.cpu(), DataType.FLOAT32)) {
            long[] ids = tokenizer.encodeWithBos(prompts.get(0));
            float[] expected = allLogits(original, ids);
            assertThat(relativeError(expected, allLogits(wideF32, ids))).isLessThan(F32_RELATIVE_TOLERANCE);
            // Every weight rounded to 8 significant bits: measured 0.146 of 17.1 (0.9%), far below a mutant's 70%.
            assertThat(relativeError(expected, allLogits(wideBf16, ids))).isLessThan(2e-2);
            for (String prompt : prompts) {
                long[] promptIds = tokenizer.encodeWithBos(prompt);
                long[] greedy = greedy(original, promptIds);
                assertThat(greedy(wideF32, promptIds)).as("F32 greedy ids").containsExactly(greedy);
                // BF16 rounds every weight (relative 2^-9): the logits move by about 1e-2, the argmax does not.
                assertThat(greedy(wideBf16, promptIds)).as("BF16 greedy ids").containsExactly(greedy);
            }
        }
    }

    @Test
    void sevenBillionShapeOfTheEmbeddedModelIsAccepted() {
        LlamaConfig sdsat = LlamaConfig.load(EmbeddedModels.resolve("sdsat").resolve("config.json"));
        Widening widening = Widening.of(sdsat, Widening.Shape.LLAMA_7B, SafetensorsDtype.BF16);
        LlamaConfig target = widening.target();
        assertThat(target.vocabSize()).isEqualTo(4096);
        assertThat(target.ropeTheta()).isEqualTo(sdsat.ropeTheta());
        assertThat(target.parameterCount()).isEqualTo(expectedParameters(Widening.Shape.LLAMA_7B, 4096));
        // 6.51 B parameters: 13.0 GB in bfloat16
        assertThat(target.parameterCount() * 2).isBetween(13_000_000_000L, 13_100_000_000L);
    }

    @Test
    void badShapesAreRefusedBeforeAnythingIsWritten() throws IOException {
        Path out = dir.resolve("never-written");
        Map<Widening.Shape, String> bad = new LinkedHashMap<>();
        bad.put(new Widening.Shape(500, 1376, 6, 8, 8, 128), "hidden_size (--hidden) 500 is not a positive multiple");
        bad.put(new Widening.Shape(512, 1000, 6, 8, 8, 128), "intermediate_size (--intermediate) 1000");
        bad.put(new Widening.Shape(512, 1376, 6, 8, 8, 96), "head_dim (--head-dim) 96 is not a positive multiple");
        bad.put(new Widening.Shape(512, 1376, 3, 8, 8, 128), "num_hidden_layers (--layers) 3 is fewer than");
        bad.put(new Widening.Shape(512, 1376, 6, 8, 2, 128), "num_key_value_heads (--kv-heads) 2 is fewer than");
        bad.put(new Widening.Shape(512, 1376, 6, 12, 8, 128), "is not a multiple of num_key_value_heads");
        bad.forEach((shape, message) -> assertThatThrownBy(() -> WidenCheckpoint.run(
                        new WidenCheckpoint.Request("sdsat", out, shape, SafetensorsDtype.BF16, 1 << 30)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(message)
                .hasMessageContaining("nothing was written"));
        // query heads per key/value head fewer than the source's 2
        assertThatThrownBy(() -> Widening.of(GQA, new Widening.Shape(16, 40, 2, 4, 4, 4), SafetensorsDtype.F32))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("fewer than the source's 2 query heads per key/value head");
        Widening.Shape good = new Widening.Shape(512, 1376, 6, 8, 8, 128);
        assertThatThrownBy(() -> WidenCheckpoint.run(
                        new WidenCheckpoint.Request("sdsat", out, good, SafetensorsDtype.BF16, 3_000_000_000L)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("DJL's safetensors reader cannot read a file of 2 GiB or more");
        Path occupied = Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(occupied.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> WidenCheckpoint.run(
                        new WidenCheckpoint.Request("sdsat", occupied, good, SafetensorsDtype.BF16, 1 << 30)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("already exists and is not an empty folder");
        assertThat(occupied.resolve("keep.txt")).hasContent("mine");
        assertThatThrownBy(
                        () -> WidenCheckpoint.parse(new String[] {"--model", "sdsat", "--out", "x", "--dtype", "q8"}))
                .hasMessageContaining("--dtype 'q8' is not one of bf16, f16, f32");
        assertThatThrownBy(
                        () -> WidenCheckpoint.parse(new String[] {"--model", "sdsat", "--out", "x", "--hidden", "1.5"}))
                .hasMessageContaining("--hidden must be a positive integer, found '1.5'");
        assertThat(out).doesNotExist();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("occupied");
        }
    }

    @Test
    void aSourceWithQkvBiasesIsRefusedBeforeATensorIsMade() {
        Map<String, float[]> weights = randomWeights(GQA, 7);
        weights.put("model.layers.1.self_attn.k_proj.bias", new float[GQA.kvSize()]);
        Widening widening = Widening.of(GQA, GQA_TARGET, SafetensorsDtype.F32);
        assertThatThrownBy(() -> widening.tensors(new InMemoryWeights(weights), SafetensorsDtype.F32))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("the source has q/k/v biases (Qwen2-style: model.layers.1.self_attn.k_proj.bias)")
                .hasMessageContaining("this runtime's passes do not apply attention biases yet");
    }

    @Test
    void commandLineDefaultsAreTheSourcesOrThePresets() {
        WidenCheckpoint.Request preset = WidenCheckpoint.parse(
                new String[] {"--model", "sdsat", "--out", "/tmp/x", "--preset", "llama-7b", "--layers", "33"});
        assertThat(preset.shape()).isEqualTo(new Widening.Shape(4096, 11008, 33, 32, 32, 128));
        assertThat(preset.dtype()).isEqualTo(SafetensorsDtype.BF16);
        assertThat(preset.maxShardBytes()).isEqualTo(WidenCheckpoint.DEFAULT_SHARD_BYTES);
        WidenCheckpoint.Request own = WidenCheckpoint.parse(
                new String[] {"--model", "sdsat", "--out", "/tmp/x", "--hidden", "512", "--dtype", "f32"});
        assertThat(own.shape()).isEqualTo(new Widening.Shape(512, 688, 4, 4, 4, 64));
        assertThat(own.dtype()).isEqualTo(SafetensorsDtype.F32);
    }

    @Test
    void aFailedFolderWriteLeavesNothing() {
        Path target = dir.resolve("model");
        assertThatThrownBy(() -> AtomicFiles.writeFolder(target, folder -> {
                    Files.writeString(folder.resolve("model-00001-of-00002.safetensors"), "half");
                    throw new IOException("disk full");
                }))
                .isInstanceOf(IOException.class)
                .hasMessage("disk full");
        assertThat(dir).isEmptyDirectory();
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** Parameters of a widened model with this shape and vocabulary (untied). */
    private static long expectedParameters(Widening.Shape s, long vocab) {
        long attention = (long) s.hiddenSize() * s.numHeads() * s.headDim() * 2
                + (long) s.hiddenSize() * s.numKvHeads() * s.headDim() * 2;
        long mlp = 3L * s.hiddenSize() * s.intermediateSize();
        return s.numLayers() * (attention + mlp + 2L * s.hiddenSize()) + 2 * vocab * s.hiddenSize() + s.hiddenSize();
    }

    private static Map<String, float[]> randomWeights(LlamaConfig config, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> weights = new LinkedHashMap<>();
        config.tensorShapes().forEach((name, shape) -> {
            float[] data = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            boolean norm = name.endsWith("norm.weight");
            for (int i = 0; i < data.length; i++) {
                data[i] = norm ? 1f + 0.2f * (float) random.nextGaussian() : 0.3f * (float) random.nextGaussian();
            }
            weights.put(name, data);
        });
        return weights;
    }

    /** The target's tensors made in memory, row by row as the writer makes them. */
    private static Map<String, float[]> materialize(Map<String, StreamedTensor> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> {
            int rowLength = tensor.rowLength();
            float[] data = new float[(int) (tensor.rowCount() * rowLength)];
            Rows rows = tensor.rows().get();
            float[] row = new float[rowLength];
            for (long r = 0; r < tensor.rowCount(); r++) {
                rows.fill(r, row);
                System.arraycopy(row, 0, data, (int) r * rowLength, rowLength);
            }
            out.put(name, data);
        });
        return out;
    }

    /** Max |difference| of every logit of a 20-token sequence over the largest |logit|, source vs widening. */
    private static double relativeLogitError(Map<String, float[]> weights, Widening widening) {
        InMemoryWeights source = new InMemoryWeights(weights);
        Map<String, float[]> wide = materialize(widening.tensors(source, SafetensorsDtype.F32));
        long[] ids = new Random(3).longs(20, 0, widening.source().vocabSize()).toArray();
        try (LlamaModel original = LlamaModel.fromSource(widening.source(), source, Device.cpu(), DataType.FLOAT32);
                LlamaModel widened = LlamaModel.fromSource(
                        widening.target(), new InMemoryWeights(wide), Device.cpu(), DataType.FLOAT32)) {
            return relativeError(allLogits(original, ids), allLogits(widened, ids));
        }
    }

    private static float[] allLogits(LlamaModel model, long[] ids) {
        KvCache cache = model.newCache(ids.length);
        long[] positions = new long[ids.length];
        Arrays.setAll(positions, i -> i);
        return model.logits(cache, ids, positions, null, 0);
    }

    private static double relativeError(float[] expected, float[] actual) {
        assertThat(actual).hasSameSizeAs(expected);
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        System.out.printf("[widening] max |logit difference| %.3g, max |logit| %.3g%n", maxDiff, maxAbs);
        return maxDiff / maxAbs;
    }

    private static long[] greedy(LlamaModel model, long[] prompt) {
        return Decoders.create("ar", model, -1)
                .generate(prompt, GenerationConfig.greedy(24))
                .outputIds();
    }
}
