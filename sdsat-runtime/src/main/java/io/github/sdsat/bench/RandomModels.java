package io.github.sdsat.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.ShapeNotation;
import java.util.List;
import java.util.Locale;

/**
 * Random-weight models for the benchmarks ({@link CostCurve}, {@link OracleBenchmark}): pass costs and oracle
 * acceptance do not depend on the weights' values, so any shape can be measured without training it.
 */
public final class RandomModels {
    /** The memory-bound default shape: ~0.54 GB of F32 matmul weights, several times the last-level cache. */
    public static final String DEFAULT_SHAPE = "1024:8:16:2816:32000:2048";

    private RandomModels() {}

    /**
     * The configuration written {@value ShapeNotation#SIZES_VOCAB_CONTEXT} (tied embeddings, no grouped-query
     * attention).
     *
     * @throws io.github.sdsat.SdsatException naming the notation when the text is malformed
     */
    public static LlamaConfig config(String shape) {
        int[] v = ShapeNotation.sizesVocabContext(shape); // {hidden, layers, heads, intermediate, vocab, context}
        return new LlamaConfig(
                v[0], v[3], v[1], v[2], v[2], v[0] / v[2], v[4], 1e-5, 10000, v[5], true, 0, List.of(1), "float32");
    }

    /** The shape as the benchmarks' headings write it: {@code hidden 1024, 8 layers, 16 heads, intermediate 2816, vocab 32000}. */
    static String describe(LlamaConfig c) {
        return String.format(
                Locale.ROOT,
                "hidden %d, %d layers, %d heads, intermediate %d, vocab %d",
                c.hiddenSize(),
                c.numLayers(),
                c.numHeads(),
                c.intermediateSize(),
                c.vocabSize());
    }

    /** A model of the configuration with random F32 weights (seeded). */
    public static LlamaModel model(LlamaConfig config, long seed) {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters p = LlamaParameters.initialize(config, m, seed, 0.05)) {
            return LlamaModel.fromSource(config, p.asWeightSource(), Device.cpu(), DataType.FLOAT32);
        }
    }
}
