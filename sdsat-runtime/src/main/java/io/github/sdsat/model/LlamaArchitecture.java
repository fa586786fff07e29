package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensors of a Hugging Face Llama checkpoint ({@code LlamaForCausalLM}), declared once: each tensor's name, its
 * shape as a function of the {@link LlamaConfig} (linear weights are {@code [out, in]}, y = x·Wᵀ), and whether a
 * checkpoint may leave it out. The config check ({@link Checkpoint#validateAgainst}), loading ({@link
 * CheckpointPacker}, {@link LlamaParameters}, {@link FoldedWeights}), the trainer's export and the widening tool take
 * the names and shapes from here; no other class spells a tensor name.
 *
 * <p>Optional tensors: the q/k/v projection biases of Qwen2-style checkpoints ({@code
 * model.layers.N.self_attn.q_proj.bias}, {@code k_proj.bias}, {@code v_proj.bias}). They are known so that a checkpoint
 * holding them is recognised (their shapes are checked, {@link LlamaParameters} reads them), but neither forward pass
 * adds them yet, so a checkpoint with biases is refused before its weights are read ({@link #refuseUnappliedBiases})
 * rather than run without them, which would give other logits than the model's.
 */
public final class LlamaArchitecture {

    /** What a tensor does, which decides how it is initialised, decayed and widened. */
    public enum Kind {
        /** The token embedding table: indexed by token id, never multiplied. */
        EMBEDDING,
        /** A linear layer's weight {@code [out, in]}. */
        LINEAR,
        /** An RMSNorm gain {@code [hidden]}. */
        NORM,
        /** A linear layer's bias {@code [out]}. */
        BIAS
    }

    /**
     * A tensor of the architecture, independent of its layer, in the order transformers lists a Llama model's
     * tensors (a layer's optional bias follows its weight). Shapes are functions of the configuration.
     */
    public enum Part {
        /** [vocab, hidden]. */
        EMBED_TOKENS("model.embed_tokens.weight", false, Kind.EMBEDDING, c -> dims(c.vocabSize(), c.hiddenSize())),
        /** [heads · head_dim, hidden]. */
        Q_PROJ("self_attn.q_proj.weight", true, Kind.LINEAR, c -> dims(c.attentionSize(), c.hiddenSize())),
        /** [heads · head_dim], optional (Qwen2). */
        Q_BIAS("self_attn.q_proj.bias", true, Kind.BIAS, c -> dims(c.attentionSize())),
        /** [kv_heads · head_dim, hidden]. */
        K_PROJ("self_attn.k_proj.weight", true, Kind.LINEAR, c -> dims(c.kvSize(), c.hiddenSize())),
        /** [kv_heads · head_dim], optional (Qwen2). */
        K_BIAS("self_attn.k_proj.bias", true, Kind.BIAS, c -> dims(c.kvSize())),
        /** [kv_heads · head_dim, hidden]. */
        V_PROJ("self_attn.v_proj.weight", true, Kind.LINEAR, c -> dims(c.kvSize(), c.hiddenSize())),
        /** [kv_heads · head_dim], optional (Qwen2). */
        V_BIAS("self_attn.v_proj.bias", true, Kind.BIAS, c -> dims(c.kvSize())),
        /** [hidden, heads · head_dim]: writes the residual stream. */
        O_PROJ("self_attn.o_proj.weight", true, Kind.LINEAR, c -> dims(c.hiddenSize(), c.attentionSize())),
        /** [intermediate, hidden]. */
        GATE_PROJ("mlp.gate_proj.weight", true, Kind.LINEAR, c -> dims(c.intermediateSize(), c.hiddenSize())),
        /** [intermediate, hidden]. */
        UP_PROJ("mlp.up_proj.weight", true, Kind.LINEAR, c -> dims(c.intermediateSize(), c.hiddenSize())),
        /** [hidden, intermediate]: writes the residual stream. */
        DOWN_PROJ("mlp.down_proj.weight", true, Kind.LINEAR, c -> dims(c.hiddenSize(), c.intermediateSize())),
        /** [hidden]: before attention. */
        INPUT_LAYERNORM("input_layernorm.weight", true, Kind.NORM, c -> dims(c.hiddenSize())),
        /** [hidden]: before the MLP. */
        POST_ATTENTION_LAYERNORM("post_attention_layernorm.weight", true, Kind.NORM, c -> dims(c.hiddenSize())),
        /** [hidden]: before the LM head. */
        FINAL_NORM("model.norm.weight", false, Kind.NORM, c -> dims(c.hiddenSize())),
        /** [vocab, hidden]; absent when {@code tie_word_embeddings} (the head is the embedding table then). */
        LM_HEAD("lm_head.weight", false, Kind.LINEAR, c -> dims(c.vocabSize(), c.hiddenSize()));

        private final String hfName;
        private final boolean perLayer;
        private final Kind kind;
        private final Function<LlamaConfig, long[]> shape;

        Part(String name, boolean perLayer, Kind kind, Function<LlamaConfig, long[]> shape) {
            this.hfName = name;
            this.perLayer = perLayer;
            this.kind = kind;
            this.shape = shape;
        }

        /** The name of a model-level tensor (embedding, final norm, LM head). */
        public String tensorName() {
            if (perLayer) {
                throw new IllegalStateException(this + " is a per-layer tensor: give its layer");
            }
            return hfName;
        }

        /** The name of this tensor of {@code layer}: {@code model.layers.<layer>.<suffix>}. */
        public String tensorName(int layer) {
            if (!perLayer) {
                throw new IllegalStateException(this + " is a model-level tensor, in no layer");
            }
            return LAYER_PREFIX + layer + "." + hfName;
        }

        public boolean perLayer() {
            return perLayer;
        }

        public Kind kind() {
            return kind;
        }

        /** Whether a checkpoint may leave it out (the biases; the LM head's absence is decided by the config). */
        public boolean optional() {
            return kind == Kind.BIAS;
        }

        /** The output projections of attention and MLP, whose outputs are added to the residual stream. */
        public boolean writesResidualStream() {
            return this == O_PROJ || this == DOWN_PROJ;
        }

        public long[] shape(LlamaConfig config) {
            return shape.apply(config);
        }
    }

    /**
     * One tensor of a model: a part and its layer ({@code -1} for the model-level parts).
     *
     * @param part what the tensor is
     * @param layer its layer, or -1
     */
    public record Tensor(Part part, int layer) {
        public Tensor {
            if (part.perLayer() != (layer >= 0)) {
                throw new IllegalArgumentException(part + (part.perLayer() ? " needs a layer" : " has no layer"));
            }
        }

        /** Its Hugging Face name. */
        public String name() {
            return layer < 0 ? part.tensorName() : part.tensorName(layer);
        }

        /** Its shape under {@code config}. */
        public long[] shape(LlamaConfig config) {
            return part.shape(config);
        }
    }

    /** Prefix of every per-layer tensor's name: {@code model.layers.}. */
    static final String LAYER_PREFIX = "model.layers.";

    private static final Pattern LAYER_TENSOR = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");

    private LlamaArchitecture() {}

    /**
     * Every tensor a checkpoint of this configuration must hold, in transformers' order: the embedding, per layer
     * q, k, v, o, gate, up, down, input and post-attention norms, the final norm, and the LM head when untied.
     */
    public static List<Tensor> required(LlamaConfig config) {
        return tensors(config, name -> false);
    }

    /** The required tensors and the optional ones {@code has} reports, in transformers' order. */
    public static List<Tensor> present(LlamaConfig config, Predicate<String> has) {
        return tensors(config, has);
    }

    private static List<Tensor> tensors(LlamaConfig config, Predicate<String> hasOptional) {
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(new Tensor(Part.EMBED_TOKENS, -1));
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (Part part : Part.values()) {
                if (part.perLayer() && (!part.optional() || hasOptional.test(part.tensorName(layer)))) {
                    tensors.add(new Tensor(part, layer));
                }
            }
        }
        tensors.add(new Tensor(Part.FINAL_NORM, -1));
        if (!config.tieWordEmbeddings()) {
            tensors.add(new Tensor(Part.LM_HEAD, -1));
        }
        return tensors;
    }

    /** The required tensors by name, with their shapes, in order ({@link LlamaConfig#tensorShapes()}). */
    public static Map<String, long[]> tensorShapes(LlamaConfig config) {
        return shapes(config, required(config));
    }

    /** The required and the present optional tensors by name, with their shapes, in order. */
    public static Map<String, long[]> tensorShapes(LlamaConfig config, Predicate<String> has) {
        return shapes(config, present(config, has));
    }

    private static Map<String, long[]> shapes(LlamaConfig config, List<Tensor> tensors) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach(t -> shapes.put(t.name(), t.shape(config)));
        return shapes;
    }

    /** The tensor a name denotes, or empty when the name is none of the architecture's. */
    public static Optional<Tensor> parse(String name) {
        Matcher matcher = LAYER_TENSOR.matcher(name);
        if (matcher.matches()) {
            int layer = layerNumber(matcher.group(1));
            for (Part part : Part.values()) {
                if (part.perLayer() && part.hfName.equals(matcher.group(2)) && layer != Integer.MAX_VALUE) {
                    return Optional.of(new Tensor(part, layer));
                }
            }
            return Optional.empty();
        }
        for (Part part : Part.values()) {
            if (!part.perLayer() && part.hfName.equals(name)) {
                return Optional.of(new Tensor(part, -1));
            }
        }
        return Optional.empty();
    }

    /**
     * The layer of a {@code model.layers.N.*} name, {@link Integer#MAX_VALUE} when N has absurdly many digits
     * (certainly beyond any {@code num_hidden_layers}), or -1 for a name outside the layers.
     */
    public static int layerOf(String name) {
        Matcher matcher = LAYER_TENSOR.matcher(name);
        return matcher.matches() ? layerNumber(matcher.group(1)) : -1;
    }

    /** {@code model.layers.<layer>.*}, for messages. */
    public static String layerPattern(int layer) {
        return LAYER_PREFIX + layer + ".*";
    }

    private static int layerNumber(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** The tensor the LM head multiplies by: {@code lm_head.weight}, or the embedding table when tied. */
    public static String lmHeadName(LlamaConfig config) {
        return config.tieWordEmbeddings() ? Part.EMBED_TOKENS.tensorName() : Part.LM_HEAD.tensorName();
    }

    /**
     * Refuses weights that hold q/k/v biases: neither forward pass adds them yet, so the logits would not be the
     * model's. Called before any weight is read.
     *
     * @param what the weights, for the message ("the checkpoint /models/x")
     * @throws SdsatException naming the first bias tensor, how many there are, and what to use instead
     */
    public static void refuseUnappliedBiases(LlamaConfig config, Predicate<String> has, String what) {
        List<String> biases = present(config, has).stream()
                .filter(t -> t.part().kind() == Kind.BIAS)
                .map(Tensor::name)
                .toList();
        if (!biases.isEmpty()) {
            throw new SdsatException(what + " has q/k/v biases (Qwen2-style: " + biases.get(0)
                    + (biases.size() > 1 ? " and " + (biases.size() - 1) + " more" : "") + "); this runtime's passes "
                    + "do not apply attention biases yet, so it would compute other logits than the model's. "
                    + "Nothing was loaded: use a Llama checkpoint without projection biases (Llama-2, CodeLlama, "
                    + "SDSAT), or run this one with a runtime that applies them (transformers)");
        }
    }

    private static long[] dims(long... dims) {
        return dims;
    }
}
