package io.github.sdsat.train;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.LlamaModel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training windows whose continuation the base model wrote itself: a prompt cut from the training corpus, then the
 * base model's greedy continuation (autoregressive, with KV cache) up to the window length.
 *
 * <p>Why: SDSAT drafts are accepted when they equal the model's own greedy tokens, and greedy text of a small
 * model differs from human text — it loops (about 70% of the embedded base model's 256-token HumanEval outputs
 * continue a 4-gram already in the context). SAT tokens trained on human text alone learn little of that copying.
 * Fine-tuning rows drawn from this source show the SAT tokens the text they will have to draft; their standard
 * inputs are context only (no standard loss: training the model on its own argmax would sharpen it and move its
 * greedy output). Medusa-2 and EAGLE train their drafters on model-generated text for the same reason.
 *
 * <p>Generation is deterministic (greedy, prompts drawn from a seed) and saved with a fingerprint, so a resumed
 * run reuses it.
 */
public final class SelfGeneratedText {
    /** What the cache file holds. */
    public record Saved(String fingerprint, int promptTokens, List<long[]> rows, int[] realTokens, double seconds) {}

    private final List<long[]> rows;
    private final int[] realTokens;
    private final int promptTokens;

    private SelfGeneratedText(List<long[]> rows, int[] realTokens, int promptTokens) {
        this.rows = rows;
        this.realTokens = realTokens;
        this.promptTokens = promptTokens;
    }

    public int size() {
        return rows.size();
    }

    public int promptTokens() {
        return promptTokens;
    }

    /** Row {@code index} as a window with standard training switched off. */
    public PretrainingSamples.Window window(int index) {
        return new PretrainingSamples.Window(rows.get(index).clone(), realTokens[index], false);
    }

    /**
     * Loads the rows saved in {@code file} if they were made with {@code fingerprint}, or generates and saves them.
     *
     * @param length window length T: every row holds T + 1 ids (padded with {@code padId} after an EOS)
     * @param count rows to generate
     * @param promptTokens corpus tokens at the start of each row; the model writes the rest
     */
    public static SelfGeneratedText loadOrGenerate(
            Path file,
            String fingerprint,
            LlamaModel baseModel,
            TokenizedCorpus corpus,
            int length,
            int count,
            int promptTokens,
            long[] stopIds,
            long padId,
            long seed,
            PrintStream log) {
        if (promptTokens < 1 || promptTokens >= length || count < 1) {
            throw new IllegalArgumentException("Self-generated rows need 1 <= promptTokens < sequence length and "
                    + "count >= 1; got promptTokens " + promptTokens + ", length " + length + ", count " + count);
        }
        if (Files.isRegularFile(file)) {
            Saved saved = TrainFiles.readJson(file, Saved.class);
            if (saved.fingerprint().equals(fingerprint) && saved.rows().size() == count) {
                log.printf("[self-generated] reusing %d rows from %s%n", count, file);
                return new SelfGeneratedText(saved.rows(), saved.realTokens(), saved.promptTokens());
            }
            log.printf("[self-generated] %s was made with other settings: generating again%n", file);
        }
        AutoregressiveDecoder decoder = new AutoregressiveDecoder(baseModel);
        GenerationConfig config = GenerationConfig.builder()
                .maxNewTokens(length + 1 - promptTokens)
                .k(1)
                .stopTokenIds(stopIds)
                .build();
        SplittableRandom random = new SplittableRandom(seed);
        List<long[]> rows = new ArrayList<>(count);
        int[] real = new int[count];
        long start = System.nanoTime();
        long generated = 0;
        for (int r = 0; r < count; r++) {
            int from = random.nextInt(corpus.size() - promptTokens);
            long[] prompt = new long[promptTokens];
            for (int i = 0; i < promptTokens; i++) {
                prompt[i] = corpus.token(from + i);
            }
            long[] output = decoder.generate(prompt, config).outputIds();
            long[] row = new long[length + 1];
            java.util.Arrays.fill(row, padId);
            System.arraycopy(prompt, 0, row, 0, promptTokens);
            System.arraycopy(output, 0, row, promptTokens, output.length);
            rows.add(row);
            real[r] = promptTokens + output.length;
            generated += output.length;
            if ((r + 1) % 50 == 0 || r + 1 == count) {
                double elapsed = (System.nanoTime() - start) / 1e9;
                log.printf(
                        "[self-generated] %d/%d rows, %.0f tokens/s, elapsed %s  ETA %s%n",
                        r + 1,
                        count,
                        generated / elapsed,
                        TrainingPhase.clock(elapsed),
                        TrainingPhase.clock(elapsed / (r + 1) * (count - r - 1)));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        TrainFiles.writeJson(file, new Saved(fingerprint, promptTokens, rows, real, seconds));
        return new SelfGeneratedText(rows, real, promptTokens);
    }
}
