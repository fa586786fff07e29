package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/** Random-weight tiny Llama models for tests: any greedy-equivalence property must hold for any weights. */
public final class TinyModels {
    private TinyModels() {}

    public static LlamaConfig config(
            int hidden, int layers, int heads, int kvHeads, int vocab, boolean tied, double ropeTheta) {
        return new LlamaConfig(
                hidden,
                hidden * 2 + 8,
                layers,
                heads,
                kvHeads,
                hidden / heads,
                vocab,
                1e-5,
                ropeTheta,
                512,
                tied,
                0,
                List.of(1),
                "float32");
    }

    public static LlamaConfig small() {
        return config(64, 2, 4, 2, 97, false, 10000.0);
    }

    /** Inference model with random weights; std large enough that greedy choices are not all ties. */
    public static LlamaModel model(LlamaConfig config, long seed) {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters p = LlamaParameters.initialize(config, m, seed, 0.08)) {
            return LlamaModel.fromSource(config, p.asWeightSource(), Device.cpu(), DataType.FLOAT32);
        }
    }
}
