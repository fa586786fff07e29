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
import java.util.List;
import java.util.Locale;

/**
 * {@link LlamaConfig} as a Hugging Face {@code config.json}: reading with typed field checks that name the file and
 * the field, refusing what this runtime does not compute, and writing it as transformers does. The values' own
 * rules (ranges, head and token-id consistency) live in the record's constructor.
 */
final class LlamaConfigJson {
    private static final String SUPPORTED = "supported: model_type \"llama\" with architectures [\"LlamaForCausalLM\"]";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaConfigJson() {}

    /** {@link LlamaConfig#load}. */
    static LlamaConfig read(Path configJson) {
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
        double rmsNormEps = fields.optionalDouble("rms_norm_eps", LlamaConfig.DEFAULT_RMS_NORM_EPS);
        double ropeTheta = fields.optionalDouble("rope_theta", LlamaConfig.DEFAULT_ROPE_THETA);
        boolean tie = fields.optionalBoolean("tie_word_embeddings", false);
        int bos = fields.optionalInt("bos_token_id", LlamaConfig.DEFAULT_BOS_TOKEN_ID);
        List<Integer> eos = fields.tokenIdList("eos_token_id", LlamaConfig.DEFAULT_EOS_TOKEN_ID);
        // transformers >= 4.56 writes "dtype"; earlier versions "torch_dtype".
        String torchDtype = fields.present("torch_dtype")
                ? fields.requiredString("torch_dtype")
                : fields.present("dtype") ? fields.requiredString("dtype") : LlamaConfig.DEFAULT_TORCH_DTYPE;

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

    /** {@link LlamaConfig#write}. */
    static void write(LlamaConfig c, Path configJson) {
        ObjectNode root = JSON.createObjectNode();
        // Inserted in sorted order, as transformers (json.dumps(sort_keys=True)) writes them.
        root.putArray("architectures").add("LlamaForCausalLM");
        root.put("attention_bias", false);
        root.put("attention_dropout", 0.0);
        root.put("bos_token_id", c.bosTokenId());
        if (c.eosTokenIds().size() == 1) {
            root.put("eos_token_id", c.eosTokenIds().get(0));
        } else {
            ArrayNode eos = root.putArray("eos_token_id");
            c.eosTokenIds().forEach(eos::add);
        }
        root.put("head_dim", c.headDim());
        root.put("hidden_act", "silu");
        root.put("hidden_size", c.hiddenSize());
        root.put("initializer_range", 0.02);
        root.put("intermediate_size", c.intermediateSize());
        root.put("max_position_embeddings", c.maxPositions());
        root.put("mlp_bias", false);
        root.put("model_type", "llama");
        root.put("num_attention_heads", c.numHeads());
        root.put("num_hidden_layers", c.numLayers());
        root.put("num_key_value_heads", c.numKvHeads());
        root.put("pretraining_tp", 1);
        root.put("rms_norm_eps", c.rmsNormEps());
        root.putNull("rope_scaling");
        root.put("rope_theta", c.ropeTheta());
        root.put("tie_word_embeddings", c.tieWordEmbeddings());
        root.put("torch_dtype", c.torchDtype());
        root.put("use_cache", true);
        root.put("vocab_size", c.vocabSize());

        try {
            byte[] bytes = (HfJson.pretty(root) + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(configJson, temporary -> Files.write(temporary, bytes));
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write " + configJson + ": " + e + "; check that the folder is writable", e);
        }
    }
}
