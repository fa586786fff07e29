package io.github.sdsat.widen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.bench.TextGeneration;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import io.github.sdsat.tokenizer.SpecialTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper's checkpoints (ainergy/CodeLlama-SDSAT_L5_7B: CodeLlama-7B's config, BF16 shards, a 32,016-id tokenizer
 * whose SAT is id 32011 given as {@code -Dsdsat.satToken=32011}) open as this runtime expects: the exact config and
 * shard layout validate, the tokenizer's FIM sentinels are found, the numeric SAT id is accepted (and an id outside
 * the vocabulary refused), and a shrunken variant (same config fields and tokenizer, hidden 64, 2 layers) decodes
 * with SDSAT exactly as with plain greedy decoding.
 */
class CodeLlamaCheckpointTest {

    @TempDir
    Path dir;

    @Test
    void exactCodeLlamaConfigAndShardLayoutValidateAndTheTokenizerIsCodeLlamas() throws IOException {
        Path folder = dir.resolve("CodeLlama-SDSAT_L5_7B");
        byte[] configJson = RandomCheckpoint.configBytes(RandomCheckpoint.CODELLAMA_7B);
        Files.createDirectories(folder);
        Files.write(folder.resolve("config.json"), configJson);
        LlamaConfig config = LlamaConfig.load(folder.resolve("config.json"));
        assertThat(config)
                .isEqualTo(new LlamaConfig(
                        4096, 11008, 32, 32, 32, 128, 32016, 1e-5, 1e6, 16384, false, 1, List.of(2), "bfloat16"));
        CodeLlamaFixture.writeSparseSevenB(folder, configJson, config);
        CodeLlamaFixture.writeTokenizer(folder);
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            checkpoint.validateAgainst(checkpoint.config());
            assertThat(checkpoint.files()).hasSize(2);
            assertThat(checkpoint.info("lm_head.weight").dtype()).isEqualTo(SafetensorsDtype.BF16);
            long bytes = checkpoint.tensorNames().stream()
                    .mapToLong(name -> checkpoint.info(name).byteLength())
                    .sum();
            assertThat(bytes).isEqualTo(2 * config.parameterCount()); // 13.48 GB of BF16
        }
        try (SdsatTokenizer tokenizer = LoadedModel.openTokenizer(folder)) {
            assertThat(tokenizer.vocabSize()).isEqualTo(config.vocabSize());
            SpecialTokens specials = tokenizer.specials();
            assertThat(specials.bos()).isEqualTo(1);
            assertThat(specials.eos()).isEqualTo(2);
            assertThat(specials.fimPrefix()).hasValue(32007);
            assertThat(specials.fimSuffix()).hasValue(32008);
            assertThat(specials.fimMiddle()).hasValue(32009);
            assertThat(specials.fimEndOfInfill()).hasValue(32010);
            // No token is spelled like a SAT: the id must be given, as the paper's scripts do.
            assertThat(specials.sat()).isEmpty();
            assertThat(LoadedModel.resolveSatToken(tokenizer, null)).isEqualTo(-1);
            assertThat(tokenizer.tokenOf(CodeLlamaFixture.SAT)).hasValue("▁<EOT><EOT>");
            assertThat(LoadedModel.resolveSatToken(tokenizer, "32011")).isEqualTo(32011);
            assertThat(LoadedModel.resolveSatToken(tokenizer, " 32011 ")).isEqualTo(32011);
            assertThat(LoadedModel.resolveSatToken(tokenizer, "▁<EOT><EOT>")).isEqualTo(32011);
            assertThatThrownBy(() -> LoadedModel.resolveSatToken(tokenizer, "32016"))
                    .hasMessageContaining("sdsat.satToken 32016 is outside the vocabulary (ids 0..32015)");
            String code = "def fib(n):\n    return n";
            assertThat(tokenizer.decode(tokenizer.encode(code))).isEqualTo(code);
            long[] infill = new PromptEncoder(tokenizer, config.eosTokenIds())
                    .encode(Task.infill("t", "infilling", "def f(x):\n    ", "\n    return y", "y = x"));
            assertThat(infill).contains(1L, 32007L, 32008L, 32009L);
        }
    }

    @Test
    void shrunkenCodeLlamaWithNumericSatDecodesLikeGreedy() throws IOException {
        Path tokenizerFolder = dir.resolve("tokenizer");
        CodeLlamaFixture.writeTokenizer(tokenizerFolder);
        Path config = Files.write(
                dir.resolve("config.json"),
                CodeLlamaFixture.shrunkenConfig(RandomCheckpoint.configBytes(RandomCheckpoint.CODELLAMA_7B)));
        Path folder = dir.resolve("tiny-codellama");
        RandomCheckpoint.Outcome written = RandomCheckpoint.run(new RandomCheckpoint.Request(
                config.toString(), folder, SafetensorsDtype.BF16, 5, 0.1, tokenizerFolder, 3_000_000L));
        assertThat(written.shards()).hasSizeGreaterThan(1); // 8.4 MB of BF16 in shards of 3 MB
        assertThat(written.config().vocabSize()).isEqualTo(32016);
        assertThat(written.config().ropeTheta()).isEqualTo(1e6);

        try (LoadedModel loaded = LoadedModel.open(folder, DeviceChoice.resolve("cpu", "float32"), "32011")) {
            assertThat(loaded.satToken()).isEqualTo(32011);
        }
        assertThatThrownBy(() -> LoadedModel.open(folder, DeviceChoice.resolve("cpu", "float32"), "40000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the vocabulary");
        GenerationConfig greedy =
                GenerationConfig.builder().maxNewTokens(24).k(5).build();
        TextGeneration.Outcome ar = TextGeneration.run(
                new TextGeneration.Request(folder, "cpu", "float32", "32011", "def fib(n):", "ar", greedy));
        for (String decoder : List.of("sdsat", "sdsat-single-pass")) {
            TextGeneration.Outcome sdsat = TextGeneration.run(
                    new TextGeneration.Request(folder, "cpu", "float32", "32011", "def fib(n):", decoder, greedy));
            assertThat(sdsat.result().outputIds())
                    .as(decoder)
                    .containsExactly(ar.result().outputIds());
            assertThat(sdsat.text()).isEqualTo(ar.text());
        }
        assertThat(ar.result().outputIds()).isNotEmpty();
    }

    @Test
    void randomCheckpointRefusesBadInputBeforeWriting() {
        Path out = dir.resolve("never");
        assertThatThrownBy(() -> RandomCheckpoint.run(new RandomCheckpoint.Request(
                        "no-such-config", out, SafetensorsDtype.BF16, 1, 0.02, null, 1 << 30)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("is neither codellama-7b nor a config.json file");
        assertThatThrownBy(() -> RandomCheckpoint.run(
                        new RandomCheckpoint.Request("codellama-7b", out, SafetensorsDtype.BF16, 1, 0, null, 1 << 30)))
                .hasMessageContaining("--std 0.0 must be a positive number");
        assertThatThrownBy(() -> RandomCheckpoint.run(new RandomCheckpoint.Request(
                        "codellama-7b", out, SafetensorsDtype.BF16, 1, 0.02, dir, 1 << 30)))
                .hasMessageContaining("has no tokenizer.json");
        assertThatThrownBy(() -> RandomCheckpoint.run(new RandomCheckpoint.Request(
                        "codellama-7b", out, SafetensorsDtype.BF16, 1, 0.02, null, 4_000_000_000L)))
                .hasMessageContaining("DJL's safetensors reader cannot read a file of 2 GiB or more");
        assertThat(out).doesNotExist();
    }
}
