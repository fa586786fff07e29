package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.DjlOffline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows of the README's bad-input table that no other test covers, each through the entry point users reach
 * ({@link TextGeneration} behind {@code sdsat:generate}, {@link ReproductionRun} behind {@code sdsat:reproduce}):
 * one message naming the input and the fix, before the expensive work.
 */
class BadInputTableTest {

    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void model() {
        DjlOffline.enable();
        model = TinyModelFolder.write(shared.resolve("tiny"), 5);
    }

    private static TextGeneration.Request request(
            Path folder, String satToken, String decoder, GenerationConfig generation) {
        return new TextGeneration.Request(folder, "cpu", "auto", satToken, "def add(a, b):", decoder, generation);
    }

    @Test
    void generationSettingsOutsideTheirRangesAreRefusedWhenTheRequestIsBuilt() {
        assertThatThrownBy(() -> GenerationConfig.builder().temperature(-0.5).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("temperature must be >= 0 (0 = greedy), got -0.5");
        assertThatThrownBy(() -> GenerationConfig.builder().topK(-3).build())
                .hasMessage("topK must be >= 0 (0 = off), got -3");
        assertThatThrownBy(() -> GenerationConfig.builder().topP(1.5).build())
                .hasMessage("topP must be in (0, 1] (1 = off), got 1.5");
        assertThatThrownBy(() -> GenerationConfig.builder().maxNewTokens(0).build())
                .hasMessage("maxNewTokens must be at least 1, got 0");
        assertThatThrownBy(() -> request(model, null, "medusa", GenerationConfig.greedy(4)))
                .hasMessageContaining("Unknown decoder 'medusa' (sdsat.decoder): use one of [ar, sdsat");
    }

    @Test
    void emptyOrMissingModelFoldersAreRefusedNamingWhatAModelFolderHolds() throws IOException {
        Path empty = Files.createDirectories(shared.resolve("empty"));
        for (Path folder : List.of(empty, shared.resolve("does-not-exist"))) {
            assertThatThrownBy(() -> TextGeneration.run(request(folder, null, "ar", GenerationConfig.greedy(4))))
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("has no config.json: set sdsat.model to a Hugging Face model folder "
                            + "(config.json, tokenizer.json, model.safetensors)");
        }
    }

    @Test
    void aSatIdOutsideTheVocabularyIsRefusedBeforeTheWeightsLoad() throws IOException {
        Path folder = Files.createDirectories(shared.resolve("sat"));
        for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(model.resolve(file), folder.resolve(file));
        }
        // No weights at all: the SAT id must be refused before anything looks for them.
        assertThatThrownBy(() -> TextGeneration.run(request(folder, "99999", "sdsat", GenerationConfig.greedy(4))))
                .hasMessageContaining("sdsat.satToken 99999 is outside the vocabulary (ids 0..")
                .hasMessageContaining("give the SAT token's id or its text, e.g. <sat>");
    }

    @Test
    void maxNewTokensBeyondTheContextIsRefusedBeforeTheFirstPass() {
        GenerationConfig tooLong = GenerationConfig.builder()
                .maxNewTokens(TinyModelFolder.MAX_POSITIONS)
                .build();
        assertThatThrownBy(() -> TextGeneration.run(request(model, null, "ar", tooLong)))
                .hasMessageContaining("+ maxNewTokens " + TinyModelFolder.MAX_POSITIONS)
                .hasMessageContaining("exceeds the model's context of " + TinyModelFolder.MAX_POSITIONS
                        + " tokens: shorten the prompt or lower maxNewTokens/k");
    }

    @Test
    void aMalformedDatasetLineIsRefusedWithItsLineNumberBeforeTheModelLoads(@TempDir Path dir) throws IOException {
        Path jsonl = Files.writeString(
                dir.resolve("tasks.jsonl"),
                "{\"id\": \"a\", \"prompt\": \"def f():\"}\n{\"id\": \"b\", \"prompt\": \"def g():\"\n");
        ReproductionConfig config = ReproductionConfig.builder()
                .model(dir.resolve("no-model"))
                .device("cpu")
                .dtype("auto")
                .datasets(List.of(jsonl.toString()))
                .outputDirectory(dir.resolve("reports"))
                .runId("bad")
                .build();
        assertThatThrownBy(() -> ReproductionRun.run(config, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(jsonl.toAbsolutePath().toString())
                .hasMessageContaining("line 2")
                .hasMessageNotContaining("no-model");
        assertThat(dir.resolve("reports").resolve("bad")).doesNotExist();
    }
}
