package io.github.sdsat.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.Records;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.InMemoryWeights;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Rebuilds the embedded model from scratch: BPE tokenizer on the corpus → pretraining (next-token loss with FIM
 * samples) → {@code base/} → SDSAT fine-tuning → {@code sdsat/}. Both are ordinary Hugging Face model folders
 * ({@link TrainedModelFolder}, with a {@link ModelCard}).
 *
 * <p>Output layout: {@code tokenizer/}, {@code train-state/pretrain}, {@code train-state/sdsat} (resumable states),
 * {@code base/}, {@code sdsat/}. Rerunning the same command after a kill resumes where the last state was saved.
 *
 * <p>Command line ({@link TrainerCommand}, {@code --help} lists every option): {@code Trainer --output DIR
 * [--recipe staged|full|quick] [--corpus-cache DIR | --corpus DIR] ...}; intra-op threads with
 * {@code -Dai.djl.pytorch.num_threads=2}.
 */
public final class Trainer {
    /** Number of SAT drafts the model card's draft accuracy is measured at (the paper's default k). */
    public static final int EVALUATION_K = 5;
    /**
     * Creating this file in the output folder ends a running stage after its current step, with the state saved (the
     * file is removed when the next invocation starts).
     */
    public static final String STOP_FILE = "STOP-STAGE";
    /** Largest model.safetensors shipped (the repository keeps each file small). */
    static final long MAX_WEIGHTS_BYTES = 25L * 1000 * 1000;
    /** The recipe of the shipped model, the one {@code sdsat:train} and the command line run unless told otherwise. */
    public static final String DEFAULT_RECIPE = "staged";

    /** What a run produced. */
    public record Outcome(
            Path base,
            Path sdsat,
            TrainingPhase.Result pretraining,
            TrainingPhase.Result satTuning,
            ModelEvaluation.Metrics baseMetrics,
            ModelEvaluation.Metrics sdsatMetrics,
            DraftingEvaluation.Result drafting) {
        /** True when this invocation ended a stage before the recipe's end (no model folders written yet). */
        public boolean stageEnded() {
            return sdsat == null;
        }
    }

    private final PrintStream log;
    /** The Debian packages the corpus came from (listed on the model cards), or null for a plain folder. */
    private List<DebianCorpus.Package> corpusPackages;
    /** {@link System#nanoTime()} at which this invocation saves its state and stops (a stage); MAX_VALUE = never. */
    private long stageDeadlineNanos = Long.MAX_VALUE;
    /** Pretraining ends after this step as if complete (a trend point, {@link #pretrainCutAt}); MAX = never. */
    private long pretrainCutAtStep = Long.MAX_VALUE;

    public Trainer(PrintStream log) {
        this.log = log;
    }

    /**
     * The recipe called {@code name}: staged (the shipped model's, the Debian-package corpus), full (the first
     * embedded model's, the CPython standard library), quick (a minute's smoke run).
     */
    public static TrainingRecipe recipe(String name) {
        return switch (name) {
            case "quick" -> TrainingRecipe.quick();
            case "full" -> TrainingRecipe.full();
            case "staged" -> TrainingRecipe.staged();
            default -> throw new SdsatException("Unknown training recipe '" + name + "': use full, staged or quick");
        };
    }

    /**
     * Ends this invocation after {@code minutes}: the current step completes, the state is saved, and {@link #run}
     * returns an outcome with {@link Outcome#stageEnded()}; the same command continues from there.
     */
    public Trainer stageMinutes(double minutes) {
        if (!(minutes > 0) || Double.isInfinite(minutes)) {
            throw new SdsatException("The stage length must be a positive number of minutes, got " + minutes);
        }
        this.stageDeadlineNanos = System.nanoTime() + (long) (minutes * 60e9);
        return this;
    }

    /**
     * Ends pretraining after {@code step} of the recipe's schedule, as if it were complete, and goes on with the rest
     * of the recipe (base model, SAT fine-tuning, evaluation): a model of the acceptance-against-training-tokens
     * trend. Run it on a copy of the training folder (its saved state would end the real run there too); the model
     * cards say the model is such a cut.
     */
    public Trainer pretrainCutAt(long step) {
        if (step < 1) {
            throw new SdsatException("--pretrain-cut-at must be a positive step, got " + step);
        }
        this.pretrainCutAtStep = step;
        return this;
    }

    /**
     * The corpus of the shipped Debian-package manifest, fetched and unpacked into {@code cache} as needed
     * ({@link DebianCorpus}); the model cards then list every package.
     */
    public PythonCorpus debianCorpus(Path cache) {
        corpusPackages = DebianCorpus.shippedManifest();
        return DebianCorpus.assemble(corpusPackages, cache, log);
    }

    /**
     * The corpus a run of {@code recipe} trains on: the Debian-package corpus cached in {@code corpusCache}, the Python
     * sources of {@code corpusFolder}, or (neither given) the standard library of the {@code python3} on the PATH,
     * which only the full and quick recipes were made for: the staged recipe's corpus is the Debian packages.
     */
    public PythonCorpus corpus(TrainingRecipe recipe, Path corpusFolder, Path corpusCache) {
        if (corpusFolder != null && corpusCache != null) {
            throw new SdsatException("Pass --corpus (one folder of sources) or --corpus-cache (the Debian "
                    + "package corpus), not both");
        }
        if (corpusCache != null) {
            return debianCorpus(corpusCache);
        }
        if (corpusFolder != null) {
            return PythonCorpus.of(corpusFolder);
        }
        if (recipe.name().equals("staged")) {
            throw new SdsatException("The staged recipe (the shipped model's) trains on the Debian-package corpus: "
                    + "pass --corpus-cache DIR (from Maven -Dsdsat.train.corpusCache=DIR; the packages are fetched "
                    + "there on first use, docs/TRAINING.md), --corpus DIR for other Python sources, or --recipe full "
                    + "(-Dsdsat.train.recipe=full) for the first model's standard-library recipe");
        }
        return PythonCorpus.ofInstalledPython();
    }

    /** The command line ({@link TrainerCommand}; {@code --help} lists the options). */
    public static void main(String[] args) {
        System.exit(TrainerCommand.run(args));
    }

    /**
     * The model card's decoding evaluation ({@link DraftingEvaluation}): two-step greedy decoding on the first
     * {@code prompts} HumanEval prompts (0 skips it).
     */
    public record DraftingSettings(int prompts, int newTokens, int[] kList) {
        /** The same evaluation on {@code count} prompts. */
        public DraftingSettings withPrompts(int count) {
            return new DraftingSettings(count, newTokens, kList);
        }

        /** The protocol for the full recipe (82 prompts, 256 new tokens, k = 1..8); a token run for quick. */
        public static DraftingSettings of(TrainingRecipe recipe) {
            return recipe.name().equals("quick")
                    ? new DraftingSettings(2, 24, new int[] {1, 3})
                    : new DraftingSettings(82, 256, new int[] {1, 2, 3, 4, 5, 6, 7, 8});
        }
    }

    /** Runs the whole recipe on the corpus into {@code output}, with the recipe's drafting evaluation. */
    public Outcome run(TrainingRecipe recipe, PythonCorpus corpus, Path output) {
        return run(recipe, corpus, output, DraftingSettings.of(recipe));
    }

    /** Runs the whole recipe on the corpus into {@code output}. */
    public Outcome run(TrainingRecipe recipe, PythonCorpus corpus, Path output, DraftingSettings drafting) {
        long wallStart = System.nanoTime();
        Engine.getInstance();
        try {
            Files.deleteIfExists(output.resolve(STOP_FILE)); // a stop request is for the invocation that was running
        } catch (IOException e) {
            throw new SdsatException("Cannot remove " + output.resolve(STOP_FILE) + ": " + e.getMessage(), e);
        }
        TrainingInputs in = TrainingInputs.of(recipe, corpus, log);
        Path tokenizerFolder = trainTokenizer(recipe, in.trainingTexts(), output.resolve("tokenizer"));
        try (SdsatTokenizer tokenizer = SdsatTokenizer.load(tokenizerFolder);
                NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            TrainingData data = TrainingData.of(recipe, in, tokenizer, tokenizerFolder, log);
            checkWeightsFit(data.config(), recipe);
            ModelCard card = new ModelCard(recipe, in, data, corpusPackages);

            TrainedPhase pretrained = pretrain(recipe, in, data, output, manager);
            TrainingPhase.Result pretrainResult = pretrained.result();
            if (pretrainResult.stageEnded()) {
                return new Outcome(null, null, pretrainResult, null, null, null, null);
            }
            Map<String, float[]> baseWeights = pretrained.weights();
            ModelEvaluation.Metrics baseMetrics = evaluate(data, baseWeights, manager);
            log.printf(
                    "[train] base: held-out loss %.4f acc %.3f%n",
                    baseMetrics.standardLoss(), baseMetrics.standardAccuracy());
            Path baseFolder = output.resolve("base");
            TrainedModelFolder.write(
                    baseFolder,
                    data.config(),
                    baseWeights,
                    tokenizerFolder,
                    data.satId(),
                    recipe,
                    card.base(pretrainResult, baseMetrics));
            TrainedModelFolder.appendBitsPerByte(baseFolder, in, corpusPackages != null, log);

            TrainedPhase tuned = tuneSat(recipe, in, data, baseWeights, output, manager);
            TrainingPhase.Result satResult = tuned.result();
            if (satResult.stageEnded()) {
                return new Outcome(baseFolder, null, pretrainResult, satResult, baseMetrics, null, null);
            }
            Map<String, float[]> sdsatWeights = tuned.weights();
            ModelEvaluation.Metrics sdsatMetrics = evaluate(data, sdsatWeights, manager);
            log.printf(
                    "[train] sdsat: held-out loss %.4f (base %.4f) acc %.3f; SAT draft accuracy by offset %s; "
                            + "mean leading matches at k=%d: %.2f%n",
                    sdsatMetrics.standardLoss(),
                    baseMetrics.standardLoss(),
                    sdsatMetrics.standardAccuracy(),
                    Arrays.toString(round(sdsatMetrics.draftAccuracy())),
                    EVALUATION_K,
                    sdsatMetrics.meanLeadingMatches());
            Path sdsatFolder = output.resolve("sdsat");
            TrainedModelFolder.write(
                    sdsatFolder,
                    data.config(),
                    sdsatWeights,
                    tokenizerFolder,
                    data.satId(),
                    recipe,
                    card.sdsat(pretrainResult, satResult, baseMetrics, sdsatMetrics));
            TrainedModelFolder.appendBitsPerByte(sdsatFolder, in, corpusPackages != null, log);

            DraftingEvaluation.Result draftingResult = null;
            if (drafting.prompts() > 0) {
                try (LoadedModel loaded = LoadedModel.open(sdsatFolder, DeviceChoice.resolve("cpu", "float32"), null)) {
                    draftingResult = DraftingEvaluation.evaluate(
                            loaded, drafting.prompts(), drafting.newTokens(), drafting.kList(), log);
                }
                Path cardFile = sdsatFolder.resolve("MODEL_CARD.md");
                TrainFiles.writeText(
                        cardFile,
                        TrainFiles.readText(cardFile)
                                + "\n"
                                + DraftingEvaluation.withDecodingSection("", draftingResult));
            }
            log.printf(
                    "[train] done in %s: %s and %s%n",
                    TrainingPhase.clock((System.nanoTime() - wallStart) / 1e9), baseFolder, sdsatFolder);
            return new Outcome(
                    baseFolder, sdsatFolder, pretrainResult, satResult, baseMetrics, sdsatMetrics, draftingResult);
        }
    }

    /** What a phase returned, and its final weights by tensor name (null when its stage ended before its end). */
    private record TrainedPhase(TrainingPhase.Result result, Map<String, float[]> weights) {}

    /** Trains the BPE tokenizer on the training texts unless {@code folder} already holds one. */
    private Path trainTokenizer(TrainingRecipe recipe, List<String> trainingTexts, Path folder) {
        if (!Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            long t0 = System.nanoTime();
            BpeTokenizerTrainer bpe =
                    new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(recipe.vocabSize()));
            trainingTexts.forEach(bpe::addText);
            bpe.train().writeTo(folder);
            log.printf("[train] tokenizer trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        return folder;
    }

    /** The settings both phases share: optimiser, state folder, checkpoints, evaluations, stage ends, log. */
    private PhaseSettings.Builder phase(String name, String fingerprint, TrainingRecipe recipe, Path output) {
        return PhaseSettings.builder(name, fingerprint)
                .optimiser(recipe.optimiser())
                .stateFolder(output.resolve("train-state").resolve(name))
                .checkpointEvery(recipe.checkpointEvery())
                .evalEvery(recipe.evalEvery())
                .endStageAt(stageDeadlineNanos)
                .endStageWhenExists(output.resolve(STOP_FILE))
                .log(log);
    }

    /** Pretraining (next-token loss with FIM samples) from freshly initialised weights. */
    private TrainedPhase pretrain(
            TrainingRecipe recipe, TrainingInputs in, TrainingData data, Path output, NDManager manager) {
        TrainingPhase pretrain = new TrainingPhase(phase("pretrain", in.pretrainFingerprint(), recipe, output)
                .schedule(new LearningRateSchedule(
                        recipe.pretrainPeakLr(), recipe.pretrainWarmup(), recipe.pretrainSteps(), recipe.minLrRatio()))
                .batches(s -> data.trainSamples().batch(s, recipe.batchRows()))
                .heldOut(data.heldOutPlain())
                .maxMinutes(recipe.pretrainMaxMinutes())
                .cutAtStep(pretrainCutAtStep)
                .build());
        return run(
                pretrain,
                data.config(),
                LlamaParameters.initialize(data.config(), manager, recipe.seed(), recipe.initStd()),
                manager);
    }

    /**
     * SDSAT fine-tuning from the base weights: SAT blocks over corpus rows, mixed (per the recipe) with the base
     * model's own greedy text.
     */
    private TrainedPhase tuneSat(
            TrainingRecipe recipe,
            TrainingInputs in,
            TrainingData data,
            Map<String, float[]> baseWeights,
            Path output,
            NDManager manager) {
        SatTuningData satData = SatTuningData.of(recipe, in, data, baseWeights, output, log);
        // fine-tuning steps draw windows from a different part of the data sequence than pretraining did
        long stepOffset = 1_000_000L;
        TrainingPhase sat = new TrainingPhase(phase("sdsat", in.fingerprint(), recipe, output)
                .schedule(new LearningRateSchedule(
                        recipe.satPeakLr(), recipe.satWarmup(), recipe.satSteps(), recipe.minLrRatio()))
                .batches(s -> satData.training().batch(s + stepOffset, recipe.batchRows()))
                .heldOut(satData.heldOut())
                .maxMinutes(recipe.satMaxMinutes())
                .build());
        return run(
                sat,
                data.config(),
                LlamaParameters.load(data.config(), new InMemoryWeights(baseWeights), manager),
                manager);
    }

    /** Runs {@code phase} from {@code initial} and keeps its final weights. */
    private static TrainedPhase run(
            TrainingPhase phase, LlamaConfig config, LlamaParameters initial, NDManager manager) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        TrainingPhase.Result result = phase.run(config, initial, manager, p -> weights.putAll(p.toFloatArrays()));
        return new TrainedPhase(result, result.stageEnded() ? null : weights);
    }

    private ModelEvaluation.Metrics evaluate(TrainingData data, Map<String, float[]> weights, NDManager manager) {
        try (LlamaParameters params = LlamaParameters.load(data.config(), new InMemoryWeights(weights), manager)) {
            return ModelEvaluation.evaluate(
                    params, data.heldOutPlain(), data.prompts(), data.satId(), EVALUATION_K, data.mostFrequent());
        }
    }

    private static double[] round(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.round(values[i] * 1000) / 1000.0;
        }
        return out;
    }

    /** The settings of {@code recipe} that differ from the recipe of its name, as {@code name old -> new}. */
    static List<String> changedFromNamedRecipe(TrainingRecipe recipe) {
        TrainingRecipe named = recipe(recipe.name());
        List<String> changed = new ArrayList<>();
        for (RecordComponent c : TrainingRecipe.class.getRecordComponents()) {
            Object was = Records.value(named, c);
            Object is = Records.value(recipe, c);
            if (!Objects.equals(was, is)) {
                changed.add(c.getName() + " " + was + " -> " + is);
            }
        }
        return changed;
    }

    /**
     * Refuses, before any training, a recipe whose model files would exceed {@link #MAX_WEIGHTS_BYTES}: they are
     * written only after hours of pretraining.
     */
    static void checkWeightsFit(LlamaConfig config, TrainingRecipe recipe) {
        long bytes = config.parameterCount()
                * SafetensorsDtype.valueOf(recipe.weightsDtype()).bytes();
        if (bytes > MAX_WEIGHTS_BYTES) {
            throw new SdsatException("The model of this recipe would write " + bytes + " bytes of "
                    + recipe.weightsDtype() + " weights, over the " + MAX_WEIGHTS_BYTES + " a model folder may take "
                    + "(the repository keeps each file small): use --weights-dtype F16 or a smaller --shape");
        }
    }
}
