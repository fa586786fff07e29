package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {

    @TempDir
    Path dir;

    /** The config.json of codellama/CodeLlama-7b-hf as published. */
    private static final String CODELLAMA_7B = """
            {
              "architectures": ["LlamaForCausalLM"],
              "bos_token_id": 1,
              "eos_token_id": 2,
              "hidden_act": "silu",
              "hidden_size": 4096,
              "initializer_range": 0.02,
              "intermediate_size": 11008,
              "max_position_embeddings": 16384,
              "model_type": "llama",
              "num_attention_heads": 32,
              "num_hidden_layers": 32,
              "num_key_value_heads": 32,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "rope_theta": 1000000,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.33.0.dev0",
              "use_cache": true,
              "vocab_size": 32016
            }
            """;

    private Path config(String json) throws IOException {
        return Files.writeString(dir.resolve("config.json"), json);
    }

    private Path minimal(String extraFields) throws IOException {
        return config("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 100, "max_position_embeddings": 128 %s}
                """.formatted(extraFields));
    }

    @Test
    void readsARealCodeLlamaConfig() throws IOException {
        LlamaConfig config = LlamaConfig.load(config(CODELLAMA_7B));
        assertThat(config)
                .isEqualTo(new LlamaConfig(
                        4096,
                        11008,
                        32,
                        32,
                        32,
                        128,
                        32016,
                        1e-5,
                        1_000_000.0,
                        16384,
                        false,
                        1,
                        List.of(2),
                        "bfloat16"));
        // CodeLlama-7B: 6.74 B parameters (Llama-2-7B's 6,738,415,616 plus 16 extra vocabulary rows twice).
        assertThat(config.parameterCount()).isEqualTo(6_738_415_616L + 2L * 16 * 4096);
    }

    @Test
    void readsGroupedQueryAttentionAndAListOfEosIds() throws IOException {
        LlamaConfig config = LlamaConfig.load(minimal("""
                , "num_key_value_heads": 2, "eos_token_id": [2, 7], "bos_token_id": 0, "head_dim": 32,
                "tie_word_embeddings": true, "torch_dtype": "float16"
                """));
        assertThat(config.numHeads()).isEqualTo(4);
        assertThat(config.numKvHeads()).isEqualTo(2);
        assertThat(config.queriesPerKvHead()).isEqualTo(2);
        assertThat(config.headDim()).isEqualTo(32);
        assertThat(config.attentionSize()).isEqualTo(128);
        assertThat(config.kvSize()).isEqualTo(64);
        assertThat(config.eosTokenIds()).containsExactly(2, 7);
        assertThat(config.isEos(7)).isTrue();
        assertThat(config.isEos(3)).isFalse();
        assertThat(config.tieWordEmbeddings()).isTrue();
        assertThat(config.tensorShapes()).doesNotContainKey("lm_head.weight");
        assertThat(config.tensorShapes().get("model.layers.1.self_attn.k_proj.weight"))
                .containsExactly(64, 64);
        assertThat(config.tensorShapes().get("model.layers.1.self_attn.o_proj.weight"))
                .containsExactly(64, 128);
    }

    @Test
    void fillsInTransformersDefaults() throws IOException {
        LlamaConfig config = LlamaConfig.load(minimal(""));
        assertThat(config.numKvHeads()).isEqualTo(4);
        assertThat(config.headDim()).isEqualTo(16);
        assertThat(config.rmsNormEps()).isEqualTo(1e-6);
        assertThat(config.ropeTheta()).isEqualTo(10000.0);
        assertThat(config.tieWordEmbeddings()).isFalse();
        assertThat(config.bosTokenId()).isEqualTo(1);
        assertThat(config.eosTokenIds()).containsExactly(2);
        assertThat(config.torchDtype()).isEqualTo("float32");
    }

    @Test
    void readsTheNewerDtypeFieldName() throws IOException {
        assertThat(LlamaConfig.load(minimal(", \"dtype\": \"bfloat16\"")).torchDtype())
                .isEqualTo("bfloat16");
    }

    @Test
    void refusesOtherArchitecturesByName() throws IOException {
        Path mistral = config("""
                {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 64}
                """);
        assertThatThrownBy(() -> LlamaConfig.load(mistral))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(mistral.toString())
                .hasMessageContaining("model_type \"mistral\" is not supported")
                .hasMessageContaining("supported: model_type \"llama\" with architectures [\"LlamaForCausalLM\"]");

        Path llamaModel = minimal(", \"architectures\": [\"LlamaModel\"]");
        assertThatThrownBy(() -> LlamaConfig.load(llamaModel))
                .hasMessageContaining("architecture \"LlamaModel\" is not supported");

        Path anonymous = config("{\"hidden_size\": 64}");
        assertThatThrownBy(() -> LlamaConfig.load(anonymous))
                .hasMessageContaining("names neither model_type nor architectures");
    }

    @Test
    void refusesLlamaVariantsWhoseMathIsNotImplemented() throws IOException {
        assertThatThrownBy(
                        () -> LlamaConfig.load(minimal(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}")))
                .hasMessageContaining("rope_scaling")
                .hasMessageContaining("not supported");
        assertThatThrownBy(() -> LlamaConfig.load(minimal(", \"hidden_act\": \"gelu\"")))
                .hasMessageContaining("hidden_act 'gelu' is not supported");
        assertThatThrownBy(() -> LlamaConfig.load(minimal(", \"attention_bias\": true")))
                .hasMessageContaining("attention_bias is true");
        assertThat(LlamaConfig.load(minimal(", \"rope_scaling\": {\"rope_type\": \"default\"}"))
                        .hiddenSize())
                .isEqualTo(64);
    }

    @Test
    void namesTheFileAndFieldOfEveryInvalidValue() throws IOException {
        Path missing = config("{\"model_type\": \"llama\", \"hidden_size\": 64}");
        assertThatThrownBy(() -> LlamaConfig.load(missing))
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("required field intermediate_size is missing");

        assertThatThrownBy(() -> LlamaConfig.load(minimal(", \"num_key_value_heads\": 3")))
                .hasMessageContaining("config.json")
                .hasMessageContaining("num_attention_heads (4) must be a multiple of num_key_value_heads (3)");

        assertThatThrownBy(() -> LlamaConfig.load(minimal(", \"num_key_value_heads\": 2.5")))
                .hasMessageContaining("num_key_value_heads must be an integer, found 2.5");

        assertThatThrownBy(() -> LlamaConfig.load(minimal(", \"eos_token_id\": [2, 100]")))
                .hasMessageContaining("eos_token_id 100 must be a token id in [0, vocab_size=100)");

        assertThatThrownBy(() -> LlamaConfig.load(minimal(", \"rms_norm_eps\": 0")))
                .hasMessageContaining("rms_norm_eps must be a positive finite number");

        Path zeroLayers =
                config(Files.readString(minimal("")).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0"));
        assertThatThrownBy(() -> LlamaConfig.load(zeroLayers))
                .hasMessageContaining("num_hidden_layers must be positive, found 0");

        Path notJson = config("{\"model_type\": \"llama\",");
        assertThatThrownBy(() -> LlamaConfig.load(notJson)).hasMessageContaining(notJson + " is not valid JSON");

        assertThatThrownBy(() -> LlamaConfig.load(dir.resolve("absent/config.json")))
                .hasMessageContaining("absent/config.json not found");
    }

    @Test
    void hiddenSizeMustSplitIntoHeadsUnlessHeadDimIsGiven() throws IOException {
        Path odd = config("""
                {"model_type": "llama", "hidden_size": 66, "intermediate_size": 172, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 100, "max_position_embeddings": 128}
                """);
        assertThatThrownBy(() -> LlamaConfig.load(odd))
                .hasMessageContaining(odd.toString())
                .hasMessageContaining("hidden_size (66) is not a multiple of num_attention_heads (4)");
        Files.writeString(odd, Files.readString(odd).replace("\"vocab_size\"", "\"head_dim\": 16, \"vocab_size\""));
        assertThat(LlamaConfig.load(odd).attentionSize()).isEqualTo(64);
    }

    @Test
    void writeProducesATransformersStyleConfigThatLoadsBack() throws IOException {
        LlamaConfig original =
                new LlamaConfig(256, 688, 4, 8, 2, 32, 3072, 1e-5, 500000.0, 512, true, 0, List.of(1, 5), "bfloat16");
        Path file = dir.resolve("out/config.json");
        original.write(file);
        assertThat(LlamaConfig.load(file)).isEqualTo(original);

        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("architectures").get(0).asText()).isEqualTo("LlamaForCausalLM");
        assertThat(json.get("model_type").asText()).isEqualTo("llama");
        assertThat(json.get("hidden_act").asText()).isEqualTo("silu");
        assertThat(json.get("attention_bias").asBoolean()).isFalse();
        assertThat(json.get("mlp_bias").asBoolean()).isFalse();
        assertThat(json.get("use_cache").asBoolean()).isTrue();
        assertThat(json.get("initializer_range").asDouble()).isEqualTo(0.02);
        assertThat(json.get("rope_scaling").isNull()).isTrue();
        assertThat(json.get("eos_token_id").isArray()).isTrue();
        assertThat(json.get("bos_token_id").asInt()).isZero();
        assertThat(json.get("torch_dtype").asText()).isEqualTo("bfloat16");
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).isSorted();
        assertThat(Files.readString(file)).startsWith("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n");
        try (var siblings = Files.list(file.getParent())) {
            assertThat(siblings).containsExactly(file);
        }
    }

    @Test
    void writesASingleEosIdAsAnInt() throws IOException {
        Path file = dir.resolve("config.json");
        TinyCheckpoints.gqaConfig(false).write(file);
        assertThat(new ObjectMapper()
                        .readTree(file.toFile())
                        .get("eos_token_id")
                        .isInt())
                .isTrue();
        assertThat(LlamaConfig.load(file)).isEqualTo(TinyCheckpoints.gqaConfig(false));
    }
}
