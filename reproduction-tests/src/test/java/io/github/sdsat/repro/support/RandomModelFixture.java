package io.github.sdsat.repro.support;

import ai.djl.ndarray.NDManager;
import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import io.github.sdsat.train.BpeTokenizerTrainer;
import io.github.sdsat.train.TrainedBpe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A random-weight model folder (config.json, model.safetensors, tokenizer.json) with the embedded model's
 * architecture, for testing the harness itself (the gate of the gate) and for developing the suite before the
 * embedded model exists ({@code -Dsdsat.model=fixture:random}). Never the default model of the gates: random weights
 * say nothing about SDSAT's acceptance or accuracy.
 *
 * <p>The tokenizer is a byte-level BPE trained by {@link BpeTokenizerTrainer} on HumanEval prompts (so prompts
 * encode to a realistic number of tokens) with the project's special tokens, {@code <sat>} and the FIM sentinels
 * included. Weights use std 0.1 rather than a training init of 0.02 so logits are spread (std about 1.6) and exact
 * ties between the top two tokens are as rare as on a trained model.
 */
public final class RandomModelFixture {
    /** Architecture of the embedded model (TrainingRecipe.full): hidden 256, 4 layers, 4 heads, context 1024. */
    static final int HIDDEN = 256;

    static final int INTERMEDIATE = 688;
    static final int LAYERS = 4;
    static final int HEADS = 4;
    static final int CONTEXT = 1024;
    static final int VOCAB = 1024;
    static final double WEIGHT_STD = 0.1;

    private RandomModelFixture() {}

    /** The fixture folder under {@code parent}, written on first use (reused afterwards: it is deterministic). */
    public static synchronized Path folder(Path parent, String name, long seed) {
        Path folder = parent.resolve(name + "-" + seed);
        if (Files.isRegularFile(folder.resolve("config.json"))) {
            return folder;
        }
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the fixture folder " + folder, e);
        }
        TrainedBpe bpe = trainTokenizer();
        bpe.writeTo(folder);
        int eos = 1;
        LlamaConfig config = new LlamaConfig(
                HIDDEN,
                INTERMEDIATE,
                LAYERS,
                HEADS,
                HEADS,
                HIDDEN / HEADS,
                bpe.vocabSize(),
                1e-5,
                10000.0,
                CONTEXT,
                true,
                0,
                List.of(eos),
                "float32");
        try (NDManager manager = NDManager.newBaseManager();
                LlamaParameters params = LlamaParameters.initialize(config, manager, seed, WEIGHT_STD)) {
            Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
            Map<String, long[]> shapes = config.tensorShapes();
            params.toFloatArrays()
                    .forEach((tensorName, data) -> tensors.put(
                            tensorName,
                            new SafetensorsWriter.Tensor(SafetensorsDtype.F32, shapes.get(tensorName), data)));
            // Weights before config.json (both written atomically): config.json marks a complete folder.
            SafetensorsWriter.write(folder.resolve("model.safetensors"), tensors);
            config.write(folder.resolve("config.json"));
        }
        return folder;
    }

    private static TrainedBpe trainTokenizer() {
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(
                new BpeTokenizerTrainer.Options(VOCAB, BpeTokenizerTrainer.DEFAULT_SPECIAL_TOKENS, 2, CONTEXT));
        // About 60 KB of Python: enough merges for a 1024-token vocabulary in well under a second.
        for (HumanEval.Problem problem : HumanEval.problems()) {
            trainer.addText(problem.prompt() + problem.canonicalSolution());
        }
        return trainer.train();
    }
}
