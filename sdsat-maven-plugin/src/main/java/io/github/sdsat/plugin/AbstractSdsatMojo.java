package io.github.sdsat.plugin;

import io.github.sdsat.model.EmbeddedModels;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.Parameter;

/** Parameters shared by the goals that run a model. */
abstract class AbstractSdsatMojo extends AbstractGoalMojo {

    /**
     * The model: a Hugging Face model folder (config.json, tokenizer.json, model.safetensors or shards with
     * model.safetensors.index.json; any Llama-architecture checkpoint such as CodeLlama), or the name of an
     * embedded model: {@code sdsat} (the default, fine-tuned for SDSAT) or {@code base} (the plain model it was
     * fine-tuned from). Embedded models are extracted once to {@code ~/.cache/sdsat/models} (or
     * {@code -Dsdsat.cacheDir}).
     */
    @Parameter(property = "sdsat.model", defaultValue = EmbeddedModels.DEFAULT)
    protected String model;

    /**
     * Where to run: {@code auto} (the first GPU when DJL's PyTorch engine sees one, else the CPU), {@code cpu},
     * {@code gpu} or {@code gpuN} (e.g. {@code gpu1}).
     */
    @Parameter(property = "sdsat.device", defaultValue = "auto")
    protected String device;

    /**
     * Compute dtype: {@code auto} (float16 on a GPU, float32 on the CPU), {@code float32} or {@code float16}.
     * BF16 checkpoints are widened when loaded.
     */
    @Parameter(property = "sdsat.dtype", defaultValue = "auto")
    protected String dtype;

    /**
     * The semantic adaptive token: its id (e.g. {@code 6}) or its text (e.g. {@code <sat>}). Default: the
     * tokenizer's SAT token ({@code <sat>}, {@code <SAT>} or {@code [SAT]}). SDSAT decoders need one; the
     * autoregressive decoder does not.
     */
    @Parameter(property = "sdsat.satToken")
    protected String satToken;

    /** Seed of the sampling random number generator (temperature above 0); greedy decoding ignores it. */
    @Parameter(property = "sdsat.seed", defaultValue = "0")
    protected long seed;

    /** The model folder: an embedded model (extracted on first use) or the given folder. */
    protected Path modelFolder() {
        return EmbeddedModels.resolve(model);
    }
}
