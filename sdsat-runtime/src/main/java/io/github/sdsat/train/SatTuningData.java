package io.github.sdsat.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.model.InMemoryWeights;
import io.github.sdsat.model.LlamaModel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The batches of a {@link Trainer} run's SDSAT fine-tuning: SAT blocks over corpus rows, mixed (per the recipe) with
 * the base model's own greedy text, and the held-out SAT batches of its evaluations (true-token targets only).
 *
 * @param training the training rows, drawn by step
 * @param heldOut  the held-out batches, fixed draws
 */
record SatTuningData(SatBlocks training, List<TrainingBatch> heldOut) {

    static SatTuningData of(
            TrainingRecipe recipe,
            TrainingInputs in,
            TrainingData data,
            Map<String, float[]> baseWeights,
            Path output,
            PrintStream log) {
        SatBlocks satBlocks = new SatBlocks(
                data.trainSamples(),
                data.satId(),
                recipe.satTokensPerRow(),
                recipe.satMaxBlock(),
                recipe.satPoissonMean(),
                recipe.satLossWeight(),
                recipe.satDistillation(),
                recipe.seed() + 3);
        SatBlocks heldOutSat = new SatBlocks(
                data.heldOutSamples(),
                data.satId(),
                recipe.satTokensPerRow(),
                recipe.satMaxBlock(),
                recipe.satPoissonMean(),
                recipe.satLossWeight(),
                0.0,
                recipe.seed() + 4);
        List<TrainingBatch> heldOutSatBatches = new ArrayList<>();
        for (int i = 0; i < recipe.evalBatches(); i++) {
            heldOutSatBatches.add(heldOutSat.batch(i, recipe.batchRows()));
        }
        if (recipe.satGeneratedRows() > 0 && recipe.satGeneratedShare() > 0) {
            satBlocks.mixing(selfGeneratedText(recipe, in, data, baseWeights, output, log), recipe.satGeneratedShare());
        }
        return new SatTuningData(satBlocks, heldOutSatBatches);
    }

    /** The base model's greedy continuations of corpus prompts (generated once, kept in the training state). */
    private static SelfGeneratedText selfGeneratedText(
            TrainingRecipe recipe,
            TrainingInputs in,
            TrainingData data,
            Map<String, float[]> baseWeights,
            Path output,
            PrintStream log) {
        Map<String, Object> generationSettings = new LinkedHashMap<>(recipe.pretrainingSettings());
        generationSettings.put("satGeneratedRows", recipe.satGeneratedRows());
        generationSettings.put("satGeneratedPromptTokens", recipe.satGeneratedPromptTokens());
        try (LlamaModel baseModel = LlamaModel.fromSource(
                data.config(), new InMemoryWeights(baseWeights), Device.cpu(), DataType.FLOAT32)) {
            return SelfGeneratedText.loadOrGenerate(
                    output.resolve("train-state").resolve("self-generated.json"),
                    TrainingInputs.fingerprint(generationSettings, in.corpus(), in.trainingFiles()),
                    baseModel,
                    data.train(),
                    recipe.sequenceLength(),
                    recipe.satGeneratedRows(),
                    recipe.satGeneratedPromptTokens(),
                    new long[] {data.eosId()},
                    data.padId(),
                    recipe.seed() + 5,
                    log);
        }
    }
}
