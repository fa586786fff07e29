package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The architecture of a Llama model, as the Hugging Face {@code config.json} of a {@code LlamaForCausalLM}
 * checkpoint describes it (CodeLlama, Llama-2, SDSAT checkpoints, and this project's embedded model).
 *
 * @param hiddenSize        {@code hidden_size}
 * @param intermediateSize  {@code intermediate_size} (MLP width)
 * @param numLayers         {@code num_hidden_layers}
 * @param numHeads          {@code num_attention_heads}
 * @param numKvHeads        {@code num_key_value_heads} (grouped-query attention when fewer than the heads)
 * @param headDim           {@code head_dim}, by default {@code hidden_size / num_attention_heads}
 * @param vocabSize         {@code vocab_size}
 * @param rmsNormEps        {@code rms_norm_eps}
 * @param ropeTheta         {@code rope_theta}
 * @param maxPositions      {@code max_position_embeddings}
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the output projection is the embedding matrix
 * @param bosTokenId        {@code bos_token_id}
 * @param eosTokenIds       {@code eos_token_id} (an int or a list in the file)
 * @param torchDtype        {@code torch_dtype}, e.g. {@code float16}; informational, the tensors carry their own dtype
 */
public record LlamaConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        double rmsNormEps,
        double ropeTheta,
        int maxPositions,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    /** transformers' LlamaConfig defaults, used when config.json leaves a field out. */
    static final int DEFAULT_BOS_TOKEN_ID = 1;

    static final int DEFAULT_EOS_TOKEN_ID = 2;
    static final double DEFAULT_RMS_NORM_EPS = 1e-6;
    static final double DEFAULT_ROPE_THETA = 10000.0;
    static final String DEFAULT_TORCH_DTYPE = "float32";

    /*
     * Upper bounds on the sizes, checked before anything is allocated from them. Each is several times the largest
     * value of any published Llama (hidden 16384, intermediate 53248, 126 layers, 128 heads, head_dim 256, vocab about
     * 256k, 10M positions), so a real checkpoint always passes and a corrupt or hostile config.json is refused with
     * the field's name instead of failing later in an allocation.
     */
    static final int MAX_HIDDEN_SIZE = 65_536;
    static final int MAX_INTERMEDIATE_SIZE = 262_144;
    static final int MAX_LAYERS = 1_024;
    static final int MAX_HEADS = 1_024;
    static final int MAX_HEAD_DIM = 1_024;
    static final int MAX_VOCAB_SIZE = 4_194_304;
    static final int MAX_POSITIONS = 16_777_216;

    /** Validates the values; messages use the config.json field names. */
    public LlamaConfig {
        List<String> problems = new ArrayList<>();
        inRange(problems, "hidden_size", hiddenSize, MAX_HIDDEN_SIZE);
        inRange(problems, "intermediate_size", intermediateSize, MAX_INTERMEDIATE_SIZE);
        inRange(problems, "num_hidden_layers", numLayers, MAX_LAYERS);
        inRange(problems, "num_attention_heads", numHeads, MAX_HEADS);
        inRange(problems, "num_key_value_heads", numKvHeads, MAX_HEADS);
        inRange(problems, "head_dim", headDim, MAX_HEAD_DIM);
        inRange(problems, "vocab_size", vocabSize, MAX_VOCAB_SIZE);
        inRange(problems, "max_position_embeddings", maxPositions, MAX_POSITIONS);
        if (numHeads > 0 && numKvHeads > 0 && numHeads % numKvHeads != 0) {
            problems.add("num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads ("
                    + numKvHeads + "): each key/value head serves a whole group of query heads");
        }
        if (headDim > 0 && headDim % 2 != 0) {
            problems.add(
                    "head_dim (" + headDim + ") must be even: rotary embeddings rotate the two halves of each head");
        }
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) {
            problems.add("rms_norm_eps must be a positive finite number, found " + rmsNormEps);
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
            problems.add("rope_theta must be a positive finite number, found " + ropeTheta);
        }
        if (vocabSize > 0 && (bosTokenId < 0 || bosTokenId >= vocabSize)) {
            problems.add("bos_token_id (" + bosTokenId + ") must be a token id in [0, vocab_size=" + vocabSize + ")");
        }
        if (eosTokenIds == null || eosTokenIds.isEmpty()) {
            problems.add("eos_token_id must name at least one token id");
        } else {
            for (Integer eos : eosTokenIds) {
                if (eos == null || (vocabSize > 0 && (eos < 0 || eos >= vocabSize))) {
                    problems.add("eos_token_id " + eos + " must be a token id in [0, vocab_size=" + vocabSize + ")");
                }
            }
        }
        if (torchDtype == null || torchDtype.isBlank()) {
            problems.add("torch_dtype must be a dtype name such as float32, float16 or bfloat16");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid Llama configuration: " + String.join("; ", problems));
        }
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    private static void inRange(List<String> problems, String field, int value, int max) {
        if (value <= 0) {
            problems.add(field + " must be positive, found " + value);
        } else if (value > max) {
            problems.add(field + " is " + value + ", more than this runtime accepts (at most " + max + ", several "
                    + "times any published Llama): the config.json is corrupt or not the model's; restore the "
                    + "config.json that came with the weights");
        }
    }

    // ---------------------------------------------------------------------------------------------- derived sizes

    /** Width of the query projection output: {@code num_attention_heads * head_dim}. */
    public int attentionSize() {
        return numHeads * headDim;
    }

    /** Width of each of the key and value projection outputs: {@code num_key_value_heads * head_dim}. */
    public int kvSize() {
        return numKvHeads * headDim;
    }

    /** How many query heads share one key/value head (1 without grouped-query attention). */
    public int queriesPerKvHead() {
        return numHeads / numKvHeads;
    }

    /** Whether the token ends generation. */
    public boolean isEos(long tokenId) {
        for (int eos : eosTokenIds) {
            if (eos == tokenId) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every tensor a Hugging Face Llama checkpoint with this configuration must hold, by its HF name, with its shape
     * (linear weights are {@code [out, in]}), in the order transformers lists them; {@code lm_head.weight} only
     * when the embeddings are not tied. Names and shapes are declared in {@link LlamaArchitecture}.
     */
    public Map<String, long[]> tensorShapes() {
        return LlamaArchitecture.tensorShapes(this);
    }

    /** Number of parameters (tied embeddings counted once). */
    public long parameterCount() {
        long count = 0;
        for (long[] shape : tensorShapes().values()) {
            long elements = 1;
            for (long dim : shape) {
                elements *= dim;
            }
            count += elements;
        }
        return count;
    }

    // ---------------------------------------------------------------------------------------------- config.json

    /**
     * Reads a Hugging Face {@code config.json}. Refuses other architectures, and Llama variants whose math this
     * runtime does not compute (RoPE scaling, biases, another activation), rather than run them wrongly.
     *
     * @throws SdsatException naming the file and the field when the file is missing, unreadable or invalid
     */
    public static LlamaConfig load(Path configJson) {
        return LlamaConfigJson.read(configJson);
    }

    /**
     * Writes config.json the way transformers writes it for {@code LlamaForCausalLM} (sorted keys, two-space
     * indent), with the fields other Llama runtimes need ({@code hidden_act}, {@code eos_token_id},
     * {@code bos_token_id}). Written to a temporary file and moved into place.
     */
    public void write(Path configJson) {
        LlamaConfigJson.write(this, configJson);
    }
}
