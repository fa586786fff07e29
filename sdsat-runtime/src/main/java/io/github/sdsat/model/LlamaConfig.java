package io.github.sdsat.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

    private static final String SUPPORTED = "supported: model_type \"llama\" with architectures [\"LlamaForCausalLM\"]";
    private static final ObjectMapper JSON = new ObjectMapper();

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
     * Every tensor a Hugging Face Llama checkpoint with this configuration holds, by its HF name, with its shape
     * (linear weights are {@code [out, in]}), in the order transformers lists them; {@code lm_head.weight} only
     * when the embeddings are not tied.
     */
    public Map<String, long[]> tensorShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long hidden = hiddenSize;
        shapes.put("model.embed_tokens.weight", new long[] {vocabSize, hidden});
        for (int layer = 0; layer < numLayers; layer++) {
            String prefix = "model.layers." + layer + ".";
            shapes.put(prefix + "self_attn.q_proj.weight", new long[] {attentionSize(), hidden});
            shapes.put(prefix + "self_attn.k_proj.weight", new long[] {kvSize(), hidden});
            shapes.put(prefix + "self_attn.v_proj.weight", new long[] {kvSize(), hidden});
            shapes.put(prefix + "self_attn.o_proj.weight", new long[] {hidden, attentionSize()});
            shapes.put(prefix + "mlp.gate_proj.weight", new long[] {intermediateSize, hidden});
            shapes.put(prefix + "mlp.up_proj.weight", new long[] {intermediateSize, hidden});
            shapes.put(prefix + "mlp.down_proj.weight", new long[] {hidden, intermediateSize});
            shapes.put(prefix + "input_layernorm.weight", new long[] {hidden});
            shapes.put(prefix + "post_attention_layernorm.weight", new long[] {hidden});
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (!tieWordEmbeddings) {
            shapes.put("lm_head.weight", new long[] {vocabSize, hidden});
        }
        return shapes;
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

    // ---------------------------------------------------------------------------------------------- reading

    /**
     * Reads a Hugging Face {@code config.json}. Refuses other architectures, and Llama variants whose math this
     * runtime does not compute (RoPE scaling, biases, another activation), rather than run them wrongly.
     *
     * @throws SdsatException naming the file and the field when the file is missing, unreadable or invalid
     */
    public static LlamaConfig load(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new SdsatException(
                    configJson + " not found: a Hugging Face model folder needs config.json " + "next to its weights");
        } catch (JsonProcessingException e) {
            throw new SdsatException(
                    configJson + " is not valid JSON (" + e.getOriginalMessage() + "); "
                            + "restore the config.json that came with the model",
                    e);
        } catch (IOException e) {
            throw new SdsatException("cannot read " + configJson + ": " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new SdsatException(configJson + " must hold a JSON object (a Hugging Face config.json)");
        }
        FieldReader fields = new FieldReader(root, configJson);
        checkArchitecture(root, configJson);

        int hiddenSize = fields.requiredInt("hidden_size");
        int intermediateSize = fields.requiredInt("intermediate_size");
        int numLayers = fields.requiredInt("num_hidden_layers");
        int numHeads = fields.requiredInt("num_attention_heads");
        int numKvHeads = fields.optionalInt("num_key_value_heads", numHeads);
        int vocabSize = fields.requiredInt("vocab_size");
        int maxPositions = fields.requiredInt("max_position_embeddings");
        int headDim;
        if (fields.present("head_dim")) {
            headDim = fields.requiredInt("head_dim");
        } else {
            if (numHeads > 0 && hiddenSize % numHeads != 0) {
                throw new SdsatException(configJson + ": hidden_size (" + hiddenSize + ") is not a multiple of "
                        + "num_attention_heads (" + numHeads + ") and head_dim is not given; fix the sizes or "
                        + "add head_dim");
            }
            headDim = numHeads > 0 ? hiddenSize / numHeads : 0;
        }
        double rmsNormEps = fields.optionalDouble("rms_norm_eps", DEFAULT_RMS_NORM_EPS);
        double ropeTheta = fields.optionalDouble("rope_theta", DEFAULT_ROPE_THETA);
        boolean tie = fields.optionalBoolean("tie_word_embeddings", false);
        int bos = fields.optionalInt("bos_token_id", DEFAULT_BOS_TOKEN_ID);
        List<Integer> eos = fields.tokenIdList("eos_token_id", DEFAULT_EOS_TOKEN_ID);
        // transformers >= 4.56 writes "dtype"; earlier versions "torch_dtype".
        String torchDtype = fields.present("torch_dtype")
                ? fields.requiredString("torch_dtype")
                : fields.present("dtype") ? fields.requiredString("dtype") : DEFAULT_TORCH_DTYPE;

        String hiddenAct = fields.present("hidden_act") ? fields.requiredString("hidden_act") : "silu";
        if (!hiddenAct.equals("silu")) {
            throw new SdsatException(configJson + ": hidden_act '" + hiddenAct + "' is not supported; the Llama "
                    + "MLP here is down(silu(gate(x)) * up(x)), so hidden_act must be \"silu\"");
        }
        for (String bias : List.of("attention_bias", "mlp_bias")) {
            if (fields.optionalBoolean(bias, false)) {
                throw new SdsatException(configJson + ": " + bias + " is true, but this runtime implements Llama "
                        + "without projection biases; only checkpoints with " + bias + " false are supported");
            }
        }
        JsonNode ropeScaling = root.get("rope_scaling");
        if (ropeScaling != null && !ropeScaling.isNull()) {
            String type = ropeScaling
                    .path("rope_type")
                    .asText(ropeScaling.path("type").asText(""));
            if (!type.equals("default")) {
                throw new SdsatException(configJson + ": rope_scaling " + ropeScaling + " is not supported; only "
                        + "plain rotary embeddings (rope_scaling null) are implemented");
            }
        }
        try {
            return new LlamaConfig(
                    hiddenSize,
                    intermediateSize,
                    numLayers,
                    numHeads,
                    numKvHeads,
                    headDim,
                    vocabSize,
                    rmsNormEps,
                    ropeTheta,
                    maxPositions,
                    tie,
                    bos,
                    eos,
                    torchDtype);
        } catch (IllegalArgumentException e) {
            throw new SdsatException(configJson + ": " + e.getMessage(), e);
        }
    }

    private static void checkArchitecture(JsonNode root, Path file) {
        JsonNode modelType = root.get("model_type");
        JsonNode architectures = root.get("architectures");
        boolean hasModelType = modelType != null && !modelType.isNull();
        boolean hasArchitectures = architectures != null && !architectures.isNull();
        if (!hasModelType && !hasArchitectures) {
            throw new SdsatException(file + " names neither model_type nor architectures; " + SUPPORTED);
        }
        if (hasModelType
                && !(modelType.isTextual()
                        && modelType.asText().toLowerCase(Locale.ROOT).equals("llama"))) {
            throw new SdsatException(file + ": model_type " + modelType + " is not supported; " + SUPPORTED);
        }
        if (hasArchitectures) {
            if (!architectures.isArray() || architectures.isEmpty()) {
                throw new SdsatException(
                        file + ": architectures must be a non-empty list, found " + architectures + "; " + SUPPORTED);
            }
            for (JsonNode architecture : architectures) {
                if (!architecture.isTextual() || !architecture.asText().equals("LlamaForCausalLM")) {
                    throw new SdsatException(
                            file + ": architecture " + architecture + " is not supported; " + SUPPORTED);
                }
            }
        }
    }

    /** Typed access to config.json fields, with messages that name the file and the field. */
    private static final class FieldReader {
        private final JsonNode root;
        private final Path file;

        FieldReader(JsonNode root, Path file) {
            this.root = root;
            this.file = file;
        }

        boolean present(String field) {
            JsonNode node = root.get(field);
            return node != null && !node.isNull();
        }

        int requiredInt(String field) {
            if (!present(field)) {
                throw new SdsatException(file + ": required field " + field + " is missing; add it from the "
                        + "model's original config.json");
            }
            return intValue(field, root.get(field));
        }

        int optionalInt(String field, int defaultValue) {
            return present(field) ? intValue(field, root.get(field)) : defaultValue;
        }

        private int intValue(String field, JsonNode node) {
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw new SdsatException(file + ": " + field + " must be an integer, found " + node);
            }
            return node.intValue();
        }

        double optionalDouble(String field, double defaultValue) {
            if (!present(field)) {
                return defaultValue;
            }
            JsonNode node = root.get(field);
            if (!node.isNumber()) {
                throw new SdsatException(file + ": " + field + " must be a number, found " + node);
            }
            return node.doubleValue();
        }

        boolean optionalBoolean(String field, boolean defaultValue) {
            if (!present(field)) {
                return defaultValue;
            }
            JsonNode node = root.get(field);
            if (!node.isBoolean()) {
                throw new SdsatException(file + ": " + field + " must be true or false, found " + node);
            }
            return node.booleanValue();
        }

        String requiredString(String field) {
            JsonNode node = root.get(field);
            if (node == null || !node.isTextual()) {
                throw new SdsatException(file + ": " + field + " must be a string, found " + node);
            }
            return node.asText();
        }

        List<Integer> tokenIdList(String field, int defaultValue) {
            JsonNode node = root.get(field);
            if (node == null) {
                return List.of(defaultValue);
            }
            if (node.isNull()) {
                throw new SdsatException(file + ": " + field + " is null; set it to the end-of-sequence token id "
                        + "(an int or a list of ints)");
            }
            if (node.isArray()) {
                List<Integer> ids = new ArrayList<>();
                for (JsonNode element : node) {
                    ids.add(intValue(field, element));
                }
                if (ids.isEmpty()) {
                    throw new SdsatException(file + ": " + field + " is an empty list; name at least one token id");
                }
                return ids;
            }
            return List.of(intValue(field, node));
        }
    }

    // ---------------------------------------------------------------------------------------------- writing

    /**
     * Writes config.json the way transformers writes it for {@code LlamaForCausalLM} (sorted keys, two-space
     * indent), with the fields other Llama runtimes need ({@code hidden_act}, {@code eos_token_id},
     * {@code bos_token_id}). Written to a temporary file and moved into place.
     */
    public void write(Path configJson) {
        ObjectNode root = JSON.createObjectNode();
        // Inserted in sorted order, as transformers (json.dumps(sort_keys=True)) writes them.
        root.putArray("architectures").add("LlamaForCausalLM");
        root.put("attention_bias", false);
        root.put("attention_dropout", 0.0);
        root.put("bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) {
            root.put("eos_token_id", eosTokenIds.get(0));
        } else {
            ArrayNode eos = root.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        }
        root.put("head_dim", headDim);
        root.put("hidden_act", "silu");
        root.put("hidden_size", hiddenSize);
        root.put("initializer_range", 0.02);
        root.put("intermediate_size", intermediateSize);
        root.put("max_position_embeddings", maxPositions);
        root.put("mlp_bias", false);
        root.put("model_type", "llama");
        root.put("num_attention_heads", numHeads);
        root.put("num_hidden_layers", numLayers);
        root.put("num_key_value_heads", numKvHeads);
        root.put("pretraining_tp", 1);
        root.put("rms_norm_eps", rmsNormEps);
        root.putNull("rope_scaling");
        root.put("rope_theta", ropeTheta);
        root.put("tie_word_embeddings", tieWordEmbeddings);
        root.put("torch_dtype", torchDtype);
        root.put("use_cache", true);
        root.put("vocab_size", vocabSize);

        try {
            byte[] bytes = (HfJson.pretty(root) + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(configJson, temporary -> Files.write(temporary, bytes));
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write " + configJson + ": " + e + "; check that the folder is writable", e);
        }
    }
}
