package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfGeneratedTextTest {
    static final int T = 24;
    static final int PROMPT = 6;

    @Test
    void rowsAreCorpusPromptsContinuedByTheModelsGreedyTextAndAreReusedByFingerprint(@TempDir Path dir) {
        TokenizedCorpus corpus = SatBlocksTest.randomCorpus(5, 10, 80);
        Path file = dir.resolve("self-generated.json");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        try (LlamaModel model =
                TinyModels.model(TinyModels.config(32, 1, 2, 2, SatBlocksTest.VOCAB, true, 10000.0), 3)) {
            long[] stop = {1};
            SelfGeneratedText text = SelfGeneratedText.loadOrGenerate(
                    file, "fp-a", model, corpus, T, 4, PROMPT, stop, SatBlocksTest.PAD, 7, out);
            assertThat(text.size()).isEqualTo(4);
            GenerationConfig greedy = GenerationConfig.builder()
                    .maxNewTokens(T + 1 - PROMPT)
                    .stopTokenIds(stop)
                    .build();
            for (int r = 0; r < 4; r++) {
                PretrainingSamples.Window w = text.window(r);
                assertThat(w.trainStandard()).isFalse();
                assertThat(w.ids()).hasSize(T + 1);
                long[] prompt = Arrays.copyOf(w.ids(), PROMPT);
                long[] continuation = new AutoregressiveDecoder(model)
                        .generate(prompt, greedy)
                        .outputIds();
                assertThat(w.realTokens()).isEqualTo(PROMPT + continuation.length);
                assertThat(Arrays.copyOfRange(w.ids(), PROMPT, w.realTokens())).containsExactly(continuation);
                for (int i = w.realTokens(); i <= T; i++) {
                    assertThat(w.ids()[i]).isEqualTo(SatBlocksTest.PAD);
                }
            }
            long[] firstRow = text.window(0).ids();
            SelfGeneratedText again = SelfGeneratedText.loadOrGenerate(
                    file, "fp-a", model, corpus, T, 4, PROMPT, stop, SatBlocksTest.PAD, 99, out);
            assertThat(again.window(0).ids()).containsExactly(firstRow);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("reusing 4 rows");
            SelfGeneratedText other = SelfGeneratedText.loadOrGenerate(
                    file, "fp-b", model, corpus, T, 4, PROMPT, stop, SatBlocksTest.PAD, 99, out);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("made with other settings");
            assertThat(other.size()).isEqualTo(4);

            // every row of a batch drawn with share 1 is generated text: SAT targets only, no standard loss
            PretrainingSamples windows =
                    new PretrainingSamples(corpus, SatBlocksTest.FIM, T, 0.0, 0.5, SatBlocksTest.PAD, 8);
            TrainingBatch batch = new SatBlocks(windows, SatBlocksTest.SAT, 12, 7, 4.0, 1.0, 0.5, 9)
                    .mixing(text, 1.0)
                    .batch(0, 3);
            assertThat(batch.count(TrainingBatch.STANDARD)).isZero();
            assertThat(batch.count(TrainingBatch.SAT)).isPositive();
            TrainingBatch corpusOnly = new SatBlocks(windows, SatBlocksTest.SAT, 12, 7, 4.0, 1.0, 0.5, 9)
                    .mixing(text, 0.0)
                    .batch(0, 3);
            assertThat(corpusOnly.count(TrainingBatch.STANDARD)).isPositive();
        }
    }
}
