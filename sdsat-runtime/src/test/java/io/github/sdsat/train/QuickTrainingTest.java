package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quick recipe end to end on a synthetic Python corpus (no Python installation needed). */
class QuickTrainingTest {

    static PythonCorpus syntheticCorpus(Path folder) throws Exception {
        for (int i = 0; i < 160; i++) {
            Path file = folder.resolve("pkg" + (i % 4)).resolve("module_" + i + ".py");
            Files.createDirectories(file.getParent());
            Files.writeString(file, SyntheticPython.source(i, 12), StandardCharsets.UTF_8);
        }
        return PythonCorpus.of(folder);
    }

    @Test
    void aModelTooLargeForItsFolderIsRefusedBeforeAnyTraining(@TempDir Path dir) throws Exception {
        PythonCorpus corpus = syntheticCorpus(dir.resolve("corpus"));
        TrainingRecipe tooLarge = TrainingRecipe.quick().withShape("384:6:6:1024"); // about 43 MB of F32 weights
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new Trainer(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                                .run(tooLarge, corpus, dir.resolve("out")))
                .isInstanceOf(io.github.sdsat.SdsatException.class)
                .hasMessageContaining("bytes of F32 weights")
                .hasMessageContaining("--weights-dtype F16");
        assertThat(dir.resolve("out").resolve("train-state")).doesNotExist();
        assertThat(dir.resolve("out").resolve("base")).doesNotExist();
    }

    @Test
    void quickRecipeLearnsTrainsSatDraftsAndWritesLoadableModelFolders(@TempDir Path dir) throws Exception {
        PythonCorpus corpus = syntheticCorpus(dir.resolve("corpus"));
        assertThat(corpus.heldOutFiles()).isNotEmpty();
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        Trainer.Outcome outcome = new Trainer(new PrintStream(logBytes, true, StandardCharsets.UTF_8))
                .run(TrainingRecipe.quick(), corpus, dir.resolve("out"));
        String log = logBytes.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("tokens/s").contains("ETA").contains("held-out");
        // fine-tuning mixed in the base model's own greedy text, and the card got the decoder-measured acceptance
        assertThat(log)
                .contains("[self-generated] 16/16 rows")
                .contains("[drafting] k=1")
                .contains("[drafting] k=3");
        assertThat(outcome.drafting().perK()).hasSize(2);
        assertThat(outcome.drafting().outputTokens()).isPositive();

        // pretraining loss falls
        var history = outcome.pretraining().history();
        double first = history.subList(0, 5).stream()
                .mapToDouble(TrainingPhase.StepRecord::loss)
                .average()
                .orElseThrow();
        assertThat(outcome.pretraining().finalTrainingLoss(5)).isLessThan(first - 1.0);
        // SAT drafts beat always drafting the most frequent token, and beat the base model's untrained SAT
        double sat =
                Arrays.stream(outcome.sdsatMetrics().draftAccuracy()).average().orElseThrow();
        double unigram = Arrays.stream(outcome.sdsatMetrics().unigramAccuracy())
                .average()
                .orElseThrow();
        double baseSat =
                Arrays.stream(outcome.baseMetrics().draftAccuracy()).average().orElseThrow();
        assertThat(sat).isGreaterThan(unigram).isGreaterThan(baseSat);

        for (Path folder : new Path[] {outcome.base(), outcome.sdsat()}) {
            for (String f : new String[] {
                "config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors", "MODEL_CARD.md"
            }) {
                assertThat(folder.resolve(f)).isRegularFile();
            }
            JsonNode config =
                    TrainFiles.JSON.readTree(folder.resolve("config.json").toFile());
            assertThat(config.path("model_type").asText()).isEqualTo("llama");
            try (SdsatTokenizer tokenizer = SdsatTokenizer.load(folder)) {
                assertThat(config.path("sat_token_id").asInt())
                        .isEqualTo(tokenizer.specials().sat().getAsInt());
                long[] prompt = tokenizer.encodeWithBos("def ");
                long[] generated = greedy(folder, prompt, 12);
                assertThat(generated).hasSize(12);
                assertThat(Arrays.stream(generated).allMatch(id -> id >= 0 && id < tokenizer.vocabSize()))
                        .isTrue();
                assertThat(tokenizer.decode(generated)).isNotEmpty();
            }
        }
        String card = Files.readString(outcome.sdsat().resolve("MODEL_CARD.md"));
        assertThat(card)
                .contains(corpus.sha256())
                .contains("SAT draft accuracy")
                .contains("\"seed\"")
                .contains("## Decoding")
                .contains("accepted drafts per loop")
                .contains("self-distillation");
    }

    /** Plain greedy decoding through the KV cache of the loaded folder. */
    static long[] greedy(Path folder, long[] prompt, int count) {
        try (LlamaModel model = LlamaModel.load(folder, Device.cpu(), DataType.FLOAT32)) {
            KvCache cache = model.newCache(prompt.length + count);
            long[] out = new long[count];
            long[] feed = prompt;
            int position = 0;
            for (int i = 0; i < count; i++) {
                try (NDManager step = model.manager().newSubManager()) {
                    long[] positions = new long[feed.length];
                    for (int p = 0; p < feed.length; p++) {
                        positions[p] = position + p;
                    }
                    NDArray logits = model.forward(step.create(feed), step.create(positions), null, cache);
                    long next = logits.get(feed.length - 1).argMax().getLong();
                    out[i] = next;
                    position += feed.length;
                    feed = new long[] {next};
                }
            }
            return out;
        }
    }
}
