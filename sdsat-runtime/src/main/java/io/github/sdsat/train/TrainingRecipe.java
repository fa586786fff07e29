package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaConfig;
import java.util.List;
import java.util.Map;

/**
 * Every hyper-parameter and seed of the embedded model's training (tokenizer, pretraining, SDSAT fine-tuning).
 * Same recipe + same corpus + same thread count → same losses (data draws depend only on seed and step).
 *
 * <p>Step counts fix the schedules; {@code pretrainMaxMinutes} / {@code satMaxMinutes} are safety caps that stop a
 * phase early on a slow machine (the model card then records the steps actually taken, and the run is no longer
 * step-for-step reproducible).
 *
 * @param seed master seed (weights, data order, FIM cuts, SAT insertion points)
 * @param corpusMaxFiles use only the first this many training files (0 = all)
 * @param vocabSize BPE vocabulary including the 8 special tokens and 256 byte tokens
 * @param intermediateSize MLP width
 * @param initStd standard deviation of the initial weights
 * @param sequenceLength T: standard tokens per row
 * @param batchRows rows per optimiser step
 * @param fimRate share of rows that are fill-in-the-middle samples
 * @param spmShare share of FIM samples in SPM order
 * @param satTokensPerRow SAT tokens appended to each row during fine-tuning
 * @param satMaxBlock L: longest SAT block
 * @param satPoissonMean λ of the truncated Poisson law of block lengths
 * @param satLossWeight w in loss = CE(standard) + w · SAT term
 * @param satDistillation α: the SAT term is (1 - α) · CE(true token) + α · CE(the model's own distribution for
 *     that place), see {@link SatBlocks}
 * @param satGeneratedRows rows of the base model's own greedy text generated for fine-tuning (0 = none), see
 *     {@link SelfGeneratedText}
 * @param satGeneratedPromptTokens corpus tokens that start each generated row
 * @param satGeneratedShare share of fine-tuning rows drawn from the generated text
 * @param evalEvery held-out evaluation every this many steps
 * @param evalBatches held-out batches per evaluation
 * @param checkpointEvery training state saved every this many steps
 * @param weightsDtype dtype of the shipped model.safetensors: F32 or F16
 */
public record TrainingRecipe(
        String name,
        long seed,
        int corpusMaxFiles,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int maxPositions,
        double initStd,
        int sequenceLength,
        int batchRows,
        double fimRate,
        double spmShare,
        int pretrainSteps,
        double pretrainPeakLr,
        int pretrainWarmup,
        double minLrRatio,
        double weightDecay,
        double beta1,
        double beta2,
        double maxGradNorm,
        int satSteps,
        double satPeakLr,
        int satWarmup,
        int satTokensPerRow,
        int satMaxBlock,
        double satPoissonMean,
        double satLossWeight,
        double satDistillation,
        int satGeneratedRows,
        int satGeneratedPromptTokens,
        double satGeneratedShare,
        int evalEvery,
        int evalBatches,
        int checkpointEvery,
        double pretrainMaxMinutes,
        double satMaxMinutes,
        String weightsDtype) {

    public TrainingRecipe {
        if (hiddenSize % numHeads != 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("hiddenSize must be a multiple of numHeads and numHeads of "
                    + "numKvHeads; got " + hiddenSize + ", " + numHeads + ", " + numKvHeads);
        }
        if (sequenceLength + satTokensPerRow > maxPositions) {
            throw new IllegalArgumentException("sequenceLength + satTokensPerRow (" + (sequenceLength + satTokensPerRow)
                    + ") exceeds maxPositions " + maxPositions);
        }
        if (!(satDistillation >= 0 && satDistillation <= 1)
                || !(satGeneratedShare >= 0 && satGeneratedShare <= 1)
                || satGeneratedRows < 0
                || (satGeneratedRows > 0
                        && (satGeneratedPromptTokens < 1 || satGeneratedPromptTokens >= sequenceLength))) {
            throw new IllegalArgumentException("satDistillation and satGeneratedShare must lie in [0, 1], "
                    + "satGeneratedRows >= 0 and, with generated rows, 1 <= satGeneratedPromptTokens < sequenceLength; "
                    + "got " + satDistillation + ", " + satGeneratedShare + ", " + satGeneratedRows + ", "
                    + satGeneratedPromptTokens);
        }
        if (!weightsDtype.equals("F32") && !weightsDtype.equals("F16")) {
            throw new IllegalArgumentException("weightsDtype must be F32 or F16, got " + weightsDtype);
        }
        if (pretrainSteps < 1
                || satSteps < 1
                || batchRows < 1
                || evalEvery < 1
                || checkpointEvery < 1
                || evalBatches < 1) {
            throw new IllegalArgumentException(
                    "Step counts, batchRows, evalEvery, evalBatches and " + "checkpointEvery must be positive");
        }
    }

    /**
     * The shipped embedded model, sized for about 1.5 hours on a 2-core CPU: 28 minutes of pretraining, 10 of
     * self-generated text, 36 of SDSAT fine-tuning and about 15 of evaluation. {@link TrainingThroughput} measured fwd+bwd+AdamW at T = 256, 8 rows, vocab 4096 (tokens/s, noisy
     * because other work shared the machine): hidden 256 / 4 layers (4.2M parameters) 2729; hidden 320 / 5 layers
     * (7.5M) 1220. With about 2.5M tokens affordable, the smaller model sees twice the data, which matters more at
     * this scale: 2200 steps × 2048 tokens ≈ 4.5M tokens pretraining (about 1.5 epochs of the 2.9M-token corpus).
     *
     * <p>Fine-tuning gets the larger share because acceptance depends on it. A first recipe (600 steps at peak LR
     * 1e-3, 128 SATs per row, true-token targets, corpus rows only; 12 min) reached 0.395 accepted drafts per loop at
     * k = 5 on HumanEval (82 prompts, 256 new tokens) although 70% of the model's greedy output repeated a 4-gram of
     * its context: its SATs had not learnt to draft the model's own loops. This recipe fine-tunes 1400 steps (about
     * 36 min) with 192 SATs per row, takes half of the rows from the base model's own greedy text (640 rows,
     * {@link SelfGeneratedText}, about 10 minutes to generate) and 75% of the SAT term against the model's own
     * distribution (self-distillation): 0.512 accepted drafts per loop at k = 5, held-out loss +0.76% over base. The
     * peak LR is 4e-4, near the end of pretraining's schedule: at 1e-3 the same mix pushed the held-out
     * standard-token loss 6% above base's (3.49 vs 3.28 at step 500), over the 2% the model may lose. The time caps
     * (33 + 50 min) shorten both schedules on a slower machine.
     */
    public static TrainingRecipe full() {
        return new TrainingRecipe(
                "full", 20240327L, 0, 4096, 256, 688, 4, 4, 4, 1024, 0.02, 256, 8, 0.3, 0.5, 2200, 3e-3, 100, 0.1, 0.1,
                0.9, 0.95, 1.0, 1400, 4e-4, 30, 192, 7, 4.0, 1.0, 0.75, 640, 64, 0.5, 100, 8, 50, 33.0, 50.0, "F32");
    }

    /**
     * The staged recipe on the Debian-package corpus ({@link DebianCorpus}, about 149 MB of Python, 43.7M training
     * tokens): the same shape as {@link #full()} (4.2M parameters), trained 5.5 times as long: 12000 steps × 2048
     * tokens = 24.6M pretraining tokens, about half an epoch of the corpus, so no text is seen twice.
     *
     * <p>Sized by measurement ({@link TrainingThroughput}, fwd + bwd + AdamW, T = 256, 8 rows, on an idle 2-core
     * machine): 4.2M parameters 1354 tokens/s with 1 thread, 2204 with 2; hidden 384 / 6 layers (12.2M) 629 and
     * 1337. A larger, memory-bound shape (32M+) would see under 3M tokens in the same CPU time, less than today's
     * model saw. One thread: with the 2 cores shared by other work, 2 threads fell to 321 tokens/s (OpenMP
     * spinning) where 1 thread keeps about half its idle rate. About 5 to 7 hours in all, run as stages of at most
     * 2 hours ({@code --stage-minutes}) that each resume bit-identically from the saved state (same thread count).
     * 1000 SDSAT fine-tuning steps (3.6M tokens): the trend run (pretraining cut at step 3659, docs/TRAINING.md) saw
     * the SAT held-out loss flatten by then (5.81 at 1000 steps, 5.79 at 1400, on a 1400-step schedule).
     * SAT peak learning rate 2e-4, below the 3e-4 at which pretraining's cosine ends: from this annealed base, 4e-4
     * (the full recipe's value) raised the held-out standard-token loss 3.12% (2.6051 against 2.5263; 0.897 accepted
     * drafts per loop at k = 5), over the 2% bound; 2e-4 gives +1.89% (2.5741) and 0.714, 1e-4 +1.48% (2.5636) and
     * 0.623 (docs/TRAINING.md, "SAT tuning").
     * No time caps: the schedule never depends on the machine's speed.
     */
    public static TrainingRecipe staged() {
        return new TrainingRecipe(
                "staged", 20261202L, 0, 4096, 256, 688, 4, 4, 4, 1024, 0.02, 256, 8, 0.3, 0.5, 12000, 3e-3, 200, 0.1,
                0.1, 0.9, 0.95, 1.0, 1000, 2e-4, 50, 192, 7, 4.0, 1.0, 0.75, 1280, 64, 0.5, 250, 16, 250, 1e6, 1e6,
                "F32");
    }

    /**
     * A tiny version that runs in about a minute (CI, smoke tests); its context of 1024 positions lets the drafting
     * evaluation feed HumanEval prompts, which its 512-token vocabulary encodes into a few hundred tokens.
     */
    public static TrainingRecipe quick() {
        return new TrainingRecipe(
                "quick", 20240327L, 60, 512, 64, 176, 2, 4, 4, 1024, 0.02, 64, 8, 0.3, 0.5, 80, 5e-3, 8, 0.1, 0.1, 0.9,
                0.95, 1.0, 40, 2e-3, 4, 32, 7, 4.0, 1.0, 0.5, 16, 16, 0.5, 40, 2, 40, 5.0, 3.0, "F32");
    }

    /** A copy with other SAT fine-tuning settings (experiments, tests). */
    public TrainingRecipe withSatTuning(int steps, int tokensPerRow, double distillation, double maxMinutes) {
        return with(Map.of(
                "satSteps",
                steps,
                "satTokensPerRow",
                tokensPerRow,
                "satDistillation",
                distillation,
                "satMaxMinutes",
                maxMinutes));
    }

    /**
     * A copy with other SAT fine-tuning values (named by their record components, all {@code sat*}): a pretraining
     * state stays valid under such a change, so variants of the fine-tuning can start from one saved base.
     */
    public TrainingRecipe withSatSettings(Map<String, Object> changes) {
        for (String name : changes.keySet()) {
            if (!name.startsWith("sat")) {
                throw new IllegalArgumentException(
                        name + " is not a SAT fine-tuning setting: only sat* values can change after pretraining");
            }
        }
        return with(changes);
    }

    /**
     * The settings pretraining depends on (everything but the SAT fine-tuning fields), so that a pretraining state
     * stays valid when only the fine-tuning changes.
     */
    public java.util.Map<String, Object> pretrainingSettings() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.RecordComponent c : TrainingRecipe.class.getRecordComponents()) {
            if (!c.getName().startsWith("sat") && !c.getName().equals("name")) {
                m.put(c.getName(), io.github.sdsat.Records.value(this, c));
            }
        }
        return m;
    }

    /**
     * A copy with another model shape, written {@code HIDDEN:LAYERS:HEADS:INTERMEDIATE} as {@link TrainingThroughput}
     * takes it (key/value heads = heads): the sizing experiments train other shapes with everything else of a recipe
     * unchanged. A pretraining state of another shape is refused on resume ({@link #pretrainingSettings()}).
     */
    public TrainingRecipe withShape(String shape) {
        int[] v = io.github.sdsat.model.ShapeNotation.sizes(shape);
        return with(Map.of(
                "hiddenSize", v[0], "numLayers", v[1], "numHeads", v[2], "numKvHeads", v[2], "intermediateSize", v[3]));
    }

    /** A copy whose pretraining schedule (cosine, same warm-up) has {@code steps} steps. */
    public TrainingRecipe withPretrainSteps(int steps) {
        if (steps <= pretrainWarmup) {
            throw new SdsatException(
                    "--pretrain-steps " + steps + " must exceed the recipe's warm-up of " + pretrainWarmup + " steps");
        }
        return with(Map.of("pretrainSteps", steps));
    }

    /** A copy that writes its model folders' weights as {@code dtype} (F32 or F16; checked like a new recipe). */
    public TrainingRecipe withWeightsDtype(String dtype) {
        return with(Map.of("weightsDtype", dtype));
    }

    /** A copy with other step counts (tests). */
    public TrainingRecipe withSteps(int pretrain, int sat) {
        return with(Map.of("pretrainSteps", pretrain, "satSteps", sat));
    }

    /** A copy with another checkpoint interval (tests). */
    public TrainingRecipe withCheckpointEvery(int every) {
        return with(Map.of("checkpointEvery", every));
    }

    /**
     * A copy with the named components replaced: the record's component list is the one list of recipe settings,
     * so a new setting needs no change here.
     */
    private TrainingRecipe with(Map<String, Object> changes) {
        return io.github.sdsat.Records.copyWith(this, changes);
    }

    /** The model config for a tokenizer whose BOS/EOS ids are given (tied embeddings keep the file small). */
    public LlamaConfig modelConfig(int vocab, int bosId, int eosId) {
        return new LlamaConfig(
                hiddenSize,
                intermediateSize,
                numLayers,
                numHeads,
                numKvHeads,
                hiddenSize / numHeads,
                vocab,
                1e-5,
                10000.0,
                maxPositions,
                true,
                bosId,
                List.of(eosId),
                weightsDtype.equals("F16") ? "float16" : "float32");
    }

    public AdamW.Settings optimiser() {
        return new AdamW.Settings(beta1, beta2, 1e-8, weightDecay, maxGradNorm);
    }
}
