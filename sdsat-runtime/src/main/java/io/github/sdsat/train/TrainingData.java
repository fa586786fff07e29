package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.tokenizer.FimFormat;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The tokenized corpus of a {@link Trainer} run, the model config and the training and held-out samples every phase
 * draws from.
 *
 * @param heldOutPlain held-out evaluation batches: plain next-token windows (no FIM), fixed draws
 * @param prompts      held-out prompts for the SAT draft accuracy, [{@value #EVALUATION_PROMPTS}][T / 2]
 * @param mostFrequent the training corpus's most frequent token (the unigram baseline's draft)
 */
record TrainingData(
        TokenizedCorpus train,
        TokenizedCorpus heldOut,
        LlamaConfig config,
        long satId,
        long padId,
        long eosId,
        PretrainingSamples trainSamples,
        PretrainingSamples heldOutSamples,
        List<TrainingBatch> heldOutPlain,
        long[][] prompts,
        long mostFrequent) {
    /** Held-out prompts for the draft accuracy. */
    static final int EVALUATION_PROMPTS = 48;

    static TrainingData of(
            TrainingRecipe recipe, TrainingInputs in, SdsatTokenizer tokenizer, Path tokenizerFolder, PrintStream log) {
        long satId = tokenizer
                .specials()
                .sat()
                .orElseThrow(() -> new SdsatException("The tokenizer in " + tokenizerFolder
                        + " has no <sat> token: delete the folder so it is retrained"));
        long padId = tokenizer
                .idOf("<pad>")
                .orElseThrow(() -> new SdsatException("The tokenizer in " + tokenizerFolder
                        + " has no <pad> token: delete the folder so it is retrained"));
        FimFormat fim = FimFormat.of(tokenizer.specials());
        long t0 = System.nanoTime();
        TokenizedCorpus train = TokenizedCorpus.of(in.trainingTexts(), tokenizer);
        TokenizedCorpus heldOut = TokenizedCorpus.of(in.heldOutTexts(), tokenizer);
        log.printf(
                "[train] tokenized in %.1f s: %d training tokens, %d held-out tokens%n",
                (System.nanoTime() - t0) / 1e9, train.size(), heldOut.size());
        LlamaConfig config = recipe.modelConfig(
                tokenizer.vocabSize(),
                tokenizer.specials().bos(),
                tokenizer.specials().eos());
        int t = recipe.sequenceLength();
        PretrainingSamples trainSamples =
                new PretrainingSamples(train, fim, t, recipe.fimRate(), recipe.spmShare(), padId, recipe.seed());
        PretrainingSamples heldOutSamples = new PretrainingSamples(heldOut, fim, t, 0.0, 0.0, padId, recipe.seed() + 1);
        List<TrainingBatch> heldOutPlain = new ArrayList<>();
        for (int i = 0; i < recipe.evalBatches(); i++) {
            heldOutPlain.add(heldOutSamples.batch(i, recipe.batchRows()));
        }
        return new TrainingData(
                train,
                heldOut,
                config,
                satId,
                padId,
                tokenizer.specials().eos(),
                trainSamples,
                heldOutSamples,
                heldOutPlain,
                evaluationPrompts(heldOut, t / 2, recipe.seed() + 2),
                mostFrequentToken(train, tokenizer.vocabSize()));
    }

    /** Held-out prompts of {@code length} tokens drawn from plain windows (fixed seed). */
    static long[][] evaluationPrompts(TokenizedCorpus heldOut, int length, long seed) {
        long[][] prompts = new long[EVALUATION_PROMPTS][length];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < EVALUATION_PROMPTS; r++) {
            int start = random.nextInt(heldOut.size() - length);
            for (int i = 0; i < length; i++) {
                prompts[r][i] = heldOut.token(start + i);
            }
        }
        return prompts;
    }

    static long mostFrequentToken(TokenizedCorpus corpus, int vocab) {
        long[] counts = new long[vocab];
        for (int i = 0; i < corpus.size(); i++) {
            counts[corpus.token(i)]++;
        }
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (counts[i] > counts[best]) {
                best = i;
            }
        }
        return best;
    }
}
