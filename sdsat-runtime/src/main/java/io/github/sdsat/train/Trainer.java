package io.github.sdsat.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import io.github.sdsat.tokenizer.FimFormat;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds the embedded model from scratch: BPE tokenizer on the CPython standard library → pretraining (next-token
 * loss with FIM samples) → {@code base/} → SDSAT fine-tuning → {@code sdsat/}. Both are ordinary Hugging Face model
 * folders (config.json, tokenizer.json, tokenizer_config.json, model.safetensors, MODEL_CARD.md).
 *
 * <p>Output layout: {@code tokenizer/}, {@code train-state/pretrain}, {@code train-state/sdsat} (resumable states),
 * {@code base/}, {@code sdsat/}. Rerunning the same command after a kill resumes where the last state was saved.
 *
 * <p>Command line: {@code Trainer --output DIR [--quick]} (or {@code -Dsdsat.train.quick=true}); intra-op threads
 * with {@code -Dai.djl.pytorch.num_threads=2}.
 */
public final class Trainer {
    /** Number of SAT drafts the model card's draft accuracy is measured at (the paper's default k). */
    public static final int EVALUATION_K = 5;
    /** Held-out prompts for the draft accuracy. */
    static final int EVALUATION_PROMPTS = 48;
    /**
     * Creating this file in the output folder ends a running stage after its current step, with the state saved (the
     * file is removed when the next invocation starts).
     */
    public static final String STOP_FILE = "STOP-STAGE";
    /** Largest model.safetensors shipped (the repository keeps each file small). */
    static final long MAX_WEIGHTS_BYTES = 25L * 1000 * 1000;

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

    /** The recipe called {@code name}: full (the shipped model's), staged (the Debian-package corpus), quick. */
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

    public static void main(String[] args) {
        io.github.sdsat.model.DjlOffline.enable(); // before the first engine call: no telemetry traffic
        Path output = null;
        boolean quick = Boolean.getBoolean("sdsat.train.quick");
        Path corpusFolder = null;
        Integer satSteps = null;
        Integer satTokensPerRow = null;
        Double satDistillation = null;
        Double satMinutes = null;
        Double satPeakLr = null;
        Double satLossWeight = null;
        Integer draftingPrompts = null;
        String recipeName = quick ? "quick" : "full";
        Path corpusCache = null;
        Double stageMinutes = null;
        Long pretrainCut = null;
        String shape = null;
        String weightsDtype = null;
        Integer pretrainSteps = null;
        String usage = ": usage Trainer --output DIR [--quick | --recipe full|staged|quick] [--corpus PYTHON_SOURCES | "
                + "--corpus-cache DIR] [--stage-minutes M] [--sat-steps N] [--sat-tokens-per-row N] "
                + "[--sat-distillation ALPHA] [--sat-peak-lr LR] [--sat-loss-weight W] [--sat-minutes CAP] [--drafting-prompts N] [--pretrain-cut-at STEP] "
                + "[--shape HIDDEN:LAYERS:HEADS:INTERMEDIATE] [--pretrain-steps N] [--weights-dtype F32|F16]";
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length && !args[i].equals("--quick")) {
                throw new IllegalArgumentException("Missing value after " + args[i] + usage);
            }
            switch (args[i]) {
                case "--output" -> output = Path.of(args[++i]);
                case "--quick" -> recipeName = "quick";
                case "--recipe" -> recipeName = args[++i];
                case "--corpus-cache" -> corpusCache = Path.of(args[++i]);
                case "--stage-minutes" -> stageMinutes = Double.parseDouble(args[++i]);
                case "--corpus" -> corpusFolder = Path.of(args[++i]);
                case "--sat-steps" -> satSteps = Integer.parseInt(args[++i]);
                case "--sat-tokens-per-row" -> satTokensPerRow = Integer.parseInt(args[++i]);
                case "--sat-distillation" -> satDistillation = Double.parseDouble(args[++i]);
                case "--sat-minutes" -> satMinutes = Double.parseDouble(args[++i]);
                case "--sat-peak-lr" -> satPeakLr = Double.parseDouble(args[++i]);
                case "--sat-loss-weight" -> satLossWeight = Double.parseDouble(args[++i]);
                case "--drafting-prompts" -> draftingPrompts = Integer.parseInt(args[++i]);
                case "--pretrain-cut-at" -> pretrainCut = Long.parseLong(args[++i]);
                case "--shape" -> shape = args[++i];
                case "--pretrain-steps" -> pretrainSteps = Integer.parseInt(args[++i]);
                case "--weights-dtype" -> weightsDtype = args[++i];
                default -> throw new IllegalArgumentException("Unknown argument " + args[i] + usage);
            }
        }
        if (output == null) {
            throw new IllegalArgumentException(
                    "Missing --output DIR: the folder that receives tokenizer/, " + "train-state/, base/ and sdsat/");
        }
        TrainingRecipe recipe = recipe(recipeName);
        if (corpusFolder != null && corpusCache != null) {
            throw new IllegalArgumentException("Pass --corpus (one folder of sources) or --corpus-cache (the Debian "
                    + "package corpus), not both");
        }
        if (shape != null) {
            recipe = recipe.withShape(shape);
        }
        if (pretrainSteps != null) {
            recipe = recipe.withPretrainSteps(pretrainSteps);
        }
        if (weightsDtype != null) {
            recipe = recipe.withWeightsDtype(weightsDtype);
        }
        recipe = recipe.withSatTuning(
                satSteps == null ? recipe.satSteps() : satSteps,
                satTokensPerRow == null ? recipe.satTokensPerRow() : satTokensPerRow,
                satDistillation == null ? recipe.satDistillation() : satDistillation,
                satMinutes == null ? recipe.satMaxMinutes() : satMinutes);
        if (satPeakLr != null) {
            recipe = recipe.withSatSettings(java.util.Map.of("satPeakLr", satPeakLr));
        }
        if (satLossWeight != null) {
            recipe = recipe.withSatSettings(java.util.Map.of("satLossWeight", satLossWeight));
        }
        DraftingSettings drafting = DraftingSettings.of(recipe);
        if (draftingPrompts != null) {
            drafting = new DraftingSettings(draftingPrompts, drafting.newTokens(), drafting.kList());
        }
        Trainer trainer = new Trainer(System.out);
        PythonCorpus corpus = corpusCache != null
                ? trainer.debianCorpus(corpusCache)
                : corpusFolder == null ? PythonCorpus.ofInstalledPython() : PythonCorpus.of(corpusFolder);
        if (stageMinutes != null) {
            trainer.stageMinutes(stageMinutes);
        }
        if (pretrainCut != null) {
            trainer.pretrainCutAt(pretrainCut);
        }
        Outcome outcome = trainer.run(recipe, corpus, output, drafting);
        if (outcome.stageEnded()) {
            System.out.println("[train] stage ended; run the same command again to continue");
        }
    }

    /**
     * The model card's decoding evaluation ({@link DraftingEvaluation}): two-step greedy decoding on the first
     * {@code prompts} HumanEval prompts (0 skips it).
     */
    public record DraftingSettings(int prompts, int newTokens, int[] kList) {
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
        Inputs in = Inputs.of(recipe, corpus, log);
        Path tokenizerFolder = trainTokenizer(recipe, in.trainingTexts(), output.resolve("tokenizer"));
        try (SdsatTokenizer tokenizer = SdsatTokenizer.load(tokenizerFolder);
                NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            Data data = Data.of(recipe, in, tokenizer, tokenizerFolder, log);
            checkWeightsFit(data.config(), recipe);

            TrainingPhase.Result pretrainResult = pretrain(recipe, in, data, output, manager);
            if (pretrainResult.stageEnded()) {
                return new Outcome(null, null, pretrainResult, null, null, null, null);
            }
            Map<String, float[]> baseWeights = lastWeights;
            ModelEvaluation.Metrics baseMetrics = evaluate(data, baseWeights, manager);
            log.printf(
                    "[train] base: held-out loss %.4f acc %.3f%n",
                    baseMetrics.standardLoss(), baseMetrics.standardAccuracy());
            Path baseFolder = output.resolve("base");
            writeModelFolder(
                    baseFolder,
                    data.config(),
                    baseWeights,
                    tokenizerFolder,
                    data.satId(),
                    recipe,
                    card("base", recipe, in, data, pretrainResult, null, baseMetrics, null));
            appendBitsPerByte(baseFolder, in);

            TrainingPhase.Result satResult = tuneSat(recipe, in, data, baseWeights, output, manager);
            if (satResult.stageEnded()) {
                return new Outcome(baseFolder, null, pretrainResult, satResult, baseMetrics, null, null);
            }
            Map<String, float[]> sdsatWeights = lastWeights;
            ModelEvaluation.Metrics sdsatMetrics = evaluate(data, sdsatWeights, manager);
            log.printf(
                    "[train] sdsat: held-out loss %.4f (base %.4f) acc %.3f; SAT draft accuracy by offset %s; "
                            + "mean leading matches at k=%d: %.2f%n",
                    sdsatMetrics.standardLoss(),
                    baseMetrics.standardLoss(),
                    sdsatMetrics.standardAccuracy(),
                    java.util.Arrays.toString(round(sdsatMetrics.draftAccuracy())),
                    EVALUATION_K,
                    sdsatMetrics.meanLeadingMatches());
            Path sdsatFolder = output.resolve("sdsat");
            writeModelFolder(
                    sdsatFolder,
                    data.config(),
                    sdsatWeights,
                    tokenizerFolder,
                    data.satId(),
                    recipe,
                    card("sdsat", recipe, in, data, pretrainResult, satResult, baseMetrics, sdsatMetrics));
            appendBitsPerByte(sdsatFolder, in);

            DraftingEvaluation.Result draftingResult = null;
            if (drafting.prompts() > 0) {
                try (LoadedModel loaded = LoadedModel.open(sdsatFolder, DeviceChoice.resolve("cpu", "float32"), null)) {
                    draftingResult = DraftingEvaluation.evaluate(
                            loaded, drafting.prompts(), drafting.newTokens(), drafting.kList(), log);
                }
                Path card = sdsatFolder.resolve("MODEL_CARD.md");
                TrainFiles.writeText(
                        card,
                        TrainFiles.readText(card) + "\n" + DraftingEvaluation.withDecodingSection("", draftingResult));
            }
            log.printf(
                    "[train] done in %s: %s and %s%n",
                    TrainingPhase.clock((System.nanoTime() - wallStart) / 1e9), baseFolder, sdsatFolder);
            return new Outcome(
                    baseFolder, sdsatFolder, pretrainResult, satResult, baseMetrics, sdsatMetrics, draftingResult);
        }
    }

    /** The corpus split into the files and texts a run trains and evaluates on, and the fingerprints of its states. */
    private record Inputs(
            PythonCorpus corpus,
            List<PythonCorpus.SourceFile> trainingFiles,
            List<PythonCorpus.SourceFile> heldOutFiles,
            List<String> trainingTexts,
            List<String> heldOutTexts,
            String fingerprint,
            String pretrainFingerprint) {
        static Inputs of(TrainingRecipe recipe, PythonCorpus corpus, PrintStream log) {
            List<PythonCorpus.SourceFile> trainingFiles = corpus.trainingFiles();
            if (recipe.corpusMaxFiles() > 0 && trainingFiles.size() > recipe.corpusMaxFiles()) {
                trainingFiles = trainingFiles.subList(0, recipe.corpusMaxFiles());
            }
            List<PythonCorpus.SourceFile> heldOutFiles = corpus.heldOutFiles();
            if (trainingFiles.isEmpty() || heldOutFiles.isEmpty()) {
                throw new SdsatException("The corpus in " + corpus.root() + " has " + trainingFiles.size()
                        + " training and " + heldOutFiles.size() + " held-out files: it needs both (pass a larger "
                        + "folder of Python sources)");
            }
            log.printf(
                    "[train] recipe %s, corpus %s: %d training files, %d held-out files, sha256 %s%n",
                    recipe.name(), corpus.root(), trainingFiles.size(), heldOutFiles.size(), corpus.sha256());
            return new Inputs(
                    corpus,
                    trainingFiles,
                    heldOutFiles,
                    trainingFiles.stream().map(corpus::read).toList(),
                    heldOutFiles.stream().map(corpus::read).toList(),
                    Trainer.fingerprint(recipe, corpus, trainingFiles),
                    Trainer.fingerprint(recipe.pretrainingSettings(), corpus, trainingFiles));
        }
    }

    /**
     * The tokenized corpus, the model config and the training and held-out samples every phase draws from.
     *
     * @param heldOutPlain held-out evaluation batches: plain next-token windows (no FIM), fixed draws
     * @param prompts      held-out prompts for the SAT draft accuracy
     */
    private record Data(
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
        static Data of(
                TrainingRecipe recipe, Inputs in, SdsatTokenizer tokenizer, Path tokenizerFolder, PrintStream log) {
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
            PretrainingSamples heldOutSamples =
                    new PretrainingSamples(heldOut, fim, t, 0.0, 0.0, padId, recipe.seed() + 1);
            List<TrainingBatch> heldOutPlain = new ArrayList<>();
            for (int i = 0; i < recipe.evalBatches(); i++) {
                heldOutPlain.add(heldOutSamples.batch(i, recipe.batchRows()));
            }
            return new Data(
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
    }

    /** The final weights of the last phase run (handed over by {@link TrainingPhase#run}'s callback). */
    private Map<String, float[]> lastWeights;

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

    /** Pretraining (next-token loss with FIM samples) from freshly initialised weights. */
    private TrainingPhase.Result pretrain(TrainingRecipe recipe, Inputs in, Data data, Path output, NDManager manager) {
        TrainingPhase pretrain = new TrainingPhase(
                        "pretrain",
                        in.pretrainFingerprint(),
                        new LearningRateSchedule(
                                recipe.pretrainPeakLr(),
                                recipe.pretrainWarmup(),
                                recipe.pretrainSteps(),
                                recipe.minLrRatio()),
                        recipe.optimiser(),
                        s -> data.trainSamples().batch(s, recipe.batchRows()),
                        data.heldOutPlain(),
                        recipe.pretrainSteps(),
                        output.resolve("train-state").resolve("pretrain"),
                        recipe.checkpointEvery(),
                        recipe.evalEvery(),
                        recipe.pretrainMaxMinutes(),
                        log)
                .endStageAt(stageDeadlineNanos)
                .endStageWhenExists(output.resolve(STOP_FILE));
        if (pretrainCutAtStep != Long.MAX_VALUE) {
            pretrain.cutAtStep(pretrainCutAtStep);
        }
        Map<String, float[]> weights = new LinkedHashMap<>();
        TrainingPhase.Result result = pretrain.run(
                data.config(),
                LlamaParameters.initialize(data.config(), manager, recipe.seed(), recipe.initStd()),
                manager,
                p -> weights.putAll(p.toFloatArrays()));
        lastWeights = weights;
        return result;
    }

    /**
     * SDSAT fine-tuning from the base weights: SAT blocks over corpus rows, mixed (per the recipe) with the base
     * model's own greedy text.
     */
    private TrainingPhase.Result tuneSat(
            TrainingRecipe recipe,
            Inputs in,
            Data data,
            Map<String, float[]> baseWeights,
            Path output,
            NDManager manager) {
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
            satBlocks.mixing(selfGeneratedText(recipe, in, data, baseWeights, output), recipe.satGeneratedShare());
        }
        // fine-tuning steps draw windows from a different part of the data sequence than pretraining did
        long stepOffset = 1_000_000L;
        TrainingPhase sat = new TrainingPhase(
                        "sdsat",
                        in.fingerprint(),
                        new LearningRateSchedule(
                                recipe.satPeakLr(), recipe.satWarmup(), recipe.satSteps(), recipe.minLrRatio()),
                        recipe.optimiser(),
                        s -> satBlocks.batch(s + stepOffset, recipe.batchRows()),
                        heldOutSatBatches,
                        recipe.satSteps(),
                        output.resolve("train-state").resolve("sdsat"),
                        recipe.checkpointEvery(),
                        recipe.evalEvery(),
                        recipe.satMaxMinutes(),
                        log)
                .endStageAt(stageDeadlineNanos)
                .endStageWhenExists(output.resolve(STOP_FILE));
        Map<String, float[]> weights = new LinkedHashMap<>();
        TrainingPhase.Result result = sat.run(
                data.config(),
                LlamaParameters.load(data.config(), new io.github.sdsat.model.InMemoryWeights(baseWeights), manager),
                manager,
                p -> weights.putAll(p.toFloatArrays()));
        lastWeights = weights;
        return result;
    }

    /** The base model's greedy continuations of corpus prompts (generated once, kept in the training state). */
    private SelfGeneratedText selfGeneratedText(
            TrainingRecipe recipe, Inputs in, Data data, Map<String, float[]> baseWeights, Path output) {
        Map<String, Object> generationSettings = new LinkedHashMap<>(recipe.pretrainingSettings());
        generationSettings.put("satGeneratedRows", recipe.satGeneratedRows());
        generationSettings.put("satGeneratedPromptTokens", recipe.satGeneratedPromptTokens());
        try (io.github.sdsat.model.LlamaModel baseModel = io.github.sdsat.model.LlamaModel.fromSource(
                data.config(),
                new io.github.sdsat.model.InMemoryWeights(baseWeights),
                ai.djl.Device.cpu(),
                ai.djl.ndarray.types.DataType.FLOAT32)) {
            return SelfGeneratedText.loadOrGenerate(
                    output.resolve("train-state").resolve("self-generated.json"),
                    fingerprint(generationSettings, in.corpus(), in.trainingFiles()),
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

    private ModelEvaluation.Metrics evaluate(Data data, Map<String, float[]> weights, NDManager manager) {
        try (LlamaParameters params =
                LlamaParameters.load(data.config(), new io.github.sdsat.model.InMemoryWeights(weights), manager)) {
            return ModelEvaluation.evaluate(
                    params, data.heldOutPlain(), data.prompts(), data.satId(), EVALUATION_K, data.mostFrequent());
        }
    }

    /**
     * Adds held-out bits per UTF-8 byte ({@link BitsPerByte}, comparable across tokenizers) to the model card: over
     * every held-out file, and over the held-out files of the CPython standard library alone.
     */
    private void appendBitsPerByte(Path modelFolder, Inputs in) {
        List<String> stdlib = new ArrayList<>();
        for (int i = 0; i < in.heldOutFiles().size(); i++) {
            if (corpusPackages == null
                    || in.heldOutFiles().get(i).relativePath().startsWith("libpython")) {
                stdlib.add(in.heldOutTexts().get(i));
            }
        }
        StringBuilder b = new StringBuilder("\n## Held-out bits per byte\n\nNegative log-likelihood of whole "
                + "held-out files in bits per UTF-8 byte (`BitsPerByte`: " + BitsPerByte.WINDOW + "-token windows "
                + "overlapping by half), comparable between tokenizers:\n\n| files | count | bytes | tokens | bits per "
                + "byte | nats per token |\n|---|---|---|---|---|---|\n");
        long t0 = System.nanoTime();
        try (LoadedModel loaded = LoadedModel.open(modelFolder, DeviceChoice.resolve("cpu", "float32"), null)) {
            for (Map.Entry<String, List<String>> set : List.of(
                    Map.entry("every held-out file", in.heldOutTexts()),
                    Map.entry("held-out standard-library files", stdlib))) {
                if (!set.getValue().isEmpty()) {
                    BitsPerByte.Result r = BitsPerByte.of(loaded.model(), loaded.tokenizer(), set.getValue());
                    b.append(String.format(
                            "| %s | %d | %d | %d | %.4f | %.4f |%n",
                            set.getKey(), r.files(), r.bytes(), r.tokens(), r.bitsPerByte(), r.natsPerToken()));
                }
            }
        }
        log.printf(
                "[train] bits per byte of %s in %.1f s%n", modelFolder.getFileName(), (System.nanoTime() - t0) / 1e9);
        Path card = modelFolder.resolve("MODEL_CARD.md");
        TrainFiles.writeText(card, TrainFiles.readText(card) + b);
    }

    private static double[] round(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.round(values[i] * 1000) / 1000.0;
        }
        return out;
    }

    /** Hash of the settings (a recipe, or part of one), the corpus and the file list: guards resumed states. */
    static String fingerprint(Object recipe, PythonCorpus corpus, List<PythonCorpus.SourceFile> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(TrainFiles.JSON.writeValueAsBytes(recipe));
            digest.update(corpus.sha256().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (PythonCorpus.SourceFile f : files) {
                digest.update(f.relativePath().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (Exception e) {
            throw new SdsatException("Cannot fingerprint the recipe: " + e.getMessage(), e);
        }
    }

    /** Held-out prompts of {@code length} tokens drawn from plain windows (fixed seed). */
    static long[][] evaluationPrompts(TokenizedCorpus heldOut, int length, long seed) {
        long[][] prompts = new long[EVALUATION_PROMPTS][length];
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
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

    /** Writes an HF model folder; config.json gets {@code sat_token_id} and {@code pad_token_id} added. */
    void writeModelFolder(
            Path folder,
            LlamaConfig config,
            Map<String, float[]> weights,
            Path tokenizerFolder,
            long satId,
            TrainingRecipe recipe,
            String modelCard) {
        try {
            Files.createDirectories(folder);
            Path configFile = folder.resolve("config.json");
            config.write(configFile);
            ObjectNode json = (ObjectNode) TrainFiles.JSON.readTree(configFile.toFile());
            json.put("sat_token_id", satId);
            TrainFiles.writeJson(configFile, json);
            for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
                AtomicFiles.write(
                        folder.resolve(name),
                        temporary -> Files.copy(
                                tokenizerFolder.resolve(name), temporary, StandardCopyOption.REPLACE_EXISTING));
            }
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot write the model folder " + folder.toAbsolutePath() + " (" + e.getMessage()
                            + "): check that it is writable",
                    e);
        }
        SafetensorsDtype dtype = SafetensorsDtype.valueOf(recipe.weightsDtype());
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = config.tensorShapes();
        // the size cap was checked against this config before training (checkWeightsFit)
        for (Map.Entry<String, float[]> e : weights.entrySet()) {
            tensors.put(e.getKey(), new SafetensorsWriter.Tensor(dtype, shapes.get(e.getKey()), e.getValue()));
        }
        SafetensorsWriter.write(folder.resolve("model.safetensors"), tensors);
        TrainFiles.writeText(folder.resolve("MODEL_CARD.md"), modelCard);
    }

    /** The settings of {@code recipe} that differ from the recipe of its name, as {@code name old -> new}. */
    static List<String> changedFromNamedRecipe(TrainingRecipe recipe) {
        TrainingRecipe named = recipe(recipe.name());
        List<String> changed = new java.util.ArrayList<>();
        for (java.lang.reflect.RecordComponent c : TrainingRecipe.class.getRecordComponents()) {
            Object was = io.github.sdsat.Records.value(named, c);
            Object is = io.github.sdsat.Records.value(recipe, c);
            if (!java.util.Objects.equals(was, is)) {
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

    private String card(
            String which,
            TrainingRecipe recipe,
            Inputs in,
            Data data,
            TrainingPhase.Result pretrain,
            TrainingPhase.Result sat,
            ModelEvaluation.Metrics baseMetrics,
            ModelEvaluation.Metrics sdsatMetrics) {
        PythonCorpus corpus = in.corpus();
        List<PythonCorpus.SourceFile> trainingFiles = in.trainingFiles();
        List<PythonCorpus.SourceFile> heldOutFiles = in.heldOutFiles();
        TokenizedCorpus train = data.train();
        TokenizedCorpus heldOut = data.heldOut();
        StringBuilder b = new StringBuilder();
        b.append("# SDSAT embedded model: ").append(which).append("\n\n");
        b.append(
                which.equals("base")
                        ? "A small Llama-architecture code model pretrained from scratch by this project's trainer "
                                + "(next-token loss, 30% fill-in-the-middle samples in PSM and SPM order).\n\n"
                        : "The base model fine-tuned for SDSAT: SAT blocks (truncated-Poisson lengths, appended after the "
                                + "sequence with explicit positions and a block mask, docs/DESIGN.md §5), loss = standard + "
                                + recipe.satLossWeight() + " × SAT term, the SAT term being "
                                + (1 - recipe.satDistillation())
                                + " × cross-entropy against the true token + " + recipe.satDistillation()
                                + " × cross-entropy "
                                + "against the model's own next-token distribution for that place (self-distillation, see "
                                + "`SatBlocks`)."
                                + (recipe.satGeneratedRows() > 0 && recipe.satGeneratedShare() > 0
                                        ? " A share of " + recipe.satGeneratedShare()
                                                + " of the fine-tuning rows is the base "
                                                + "model's own greedy continuation of "
                                                + recipe.satGeneratedPromptTokens()
                                                + "-token corpus prompts (" + recipe.satGeneratedRows()
                                                + " rows generated; "
                                                + "SAT targets only, see `SelfGeneratedText`)."
                                        : "")
                                + "\n\n");
        if (pretrain.steps() < pretrain.recipeSteps() && !pretrain.stoppedByTimeCap()) {
            b.append("**An intermediate model** (`--pretrain-cut-at`): pretraining was cut at step ")
                    .append(pretrain.steps())
                    .append(" of the recipe's ")
                    .append(pretrain.recipeSteps())
                    .append(", its learning rate not yet annealed; a point of the trend of quality against training "
                            + "tokens, not the recipe's model.\n\n");
        }
        b.append("Generated by `io.github.sdsat.train.Trainer` on ")
                .append(Instant.now())
                .append(".\n\n");
        b.append("## Corpus\n\n");
        if (corpusPackages == null) {
            b.append("- Python sources of the CPython standard library (")
                    .append(corpus.files().size())
                    .append(" files)\n");
        } else {
            b.append("- Python sources of ")
                    .append(corpusPackages.size())
                    .append(" Debian 12 packages (`DebianCorpus`, " + "manifest `corpus-packages.tsv`; ")
                    .append(corpus.skippedDuplicates())
                    .append(" files left out as byte-identical copies of earlier ones):\n\n");
            b.append("| package | version | license | role |\n|---|---|---|---|\n");
            for (DebianCorpus.Package p : corpusPackages) {
                b.append("| ")
                        .append(p.name())
                        .append(" | ")
                        .append(p.version())
                        .append(" | ")
                        .append(p.license())
                        .append(" | ")
                        .append(p.heldOut() ? "held out (whole package)" : "training")
                        .append(" |\n");
            }
            b.append("\n");
        }
        b.append("- corpus SHA-256 (sorted file list and contents): `")
                .append(corpus.sha256())
                .append("`\n");
        b.append("- training files: ")
                .append(trainingFiles.size())
                .append(", held-out files: ")
                .append(heldOutFiles.size())
                .append(" (split by a hash of the path)\n");
        b.append("- training tokens: ")
                .append(train.size())
                .append(", held-out tokens: ")
                .append(heldOut.size())
                .append("\n\n");
        b.append("## Training\n\n");
        phaseLines(b, "pretraining", pretrain);
        if (sat != null) {
            phaseLines(b, "SDSAT fine-tuning", sat);
        }
        stageLines(b, "pretraining", pretrain);
        if (sat != null) {
            stageLines(b, "SDSAT fine-tuning", sat);
        }
        b.append("\n## Held-out metrics\n\n");
        b.append("| model | next-token loss | accuracy |\n|---|---|---|\n");
        b.append(String.format("| base | %.4f | %.4f |%n", baseMetrics.standardLoss(), baseMetrics.standardAccuracy()));
        if (sdsatMetrics != null) {
            b.append(String.format(
                    "| sdsat | %.4f | %.4f |%n", sdsatMetrics.standardLoss(), sdsatMetrics.standardAccuracy()));
            b.append(String.format(
                    "%nsdsat's held-out standard-token loss relative to base's: %+.2f%%.%n",
                    100 * (sdsatMetrics.standardLoss() / baseMetrics.standardLoss() - 1)));
            b.append("\nSAT draft accuracy at k = ")
                    .append(EVALUATION_K)
                    .append(" against the model's own greedy " + "continuation (")
                    .append(sdsatMetrics.prompts())
                    .append(" held-out prompts of ")
                    .append(recipe.sequenceLength() / 2)
                    .append(" tokens):\n\n");
            b.append("| offset | sdsat | base (untrained SAT) | unigram baseline |\n|---|---|---|---|\n");
            for (int i = 0; i < EVALUATION_K; i++) {
                b.append(String.format(
                        "| %d | %.3f | %.3f | %.3f |%n",
                        i + 1,
                        sdsatMetrics.draftAccuracy()[i],
                        baseMetrics.draftAccuracy()[i],
                        sdsatMetrics.unigramAccuracy()[i]));
            }
            b.append(String.format(
                    "%nMean leading matching drafts per prompt (an estimate of accepted drafts " + "per loop): %.3f%n",
                    sdsatMetrics.meanLeadingMatches()));
        }
        b.append("\n## Recipe\n\n```json\n");
        try {
            b.append(TrainFiles.JSON.writeValueAsString(recipe));
        } catch (IOException e) {
            throw new SdsatException("Cannot serialise the recipe: " + e.getMessage(), e);
        }
        b.append("\n```\n\nReproduce: `mvn sdsat:train -Dsdsat.train.recipe=")
                .append(recipe.name())
                .append(corpusPackages == null ? "" : " -Dsdsat.train.corpusCache=DIR -Dsdsat.train.stageMinutes=110")
                .append("` (rerun the same command after each stage; the same recipe, corpus and thread count give the "
                        + "same losses).\n");
        List<String> changed = changedFromNamedRecipe(recipe);
        if (!changed.isEmpty()) {
            b.append("\nThis run changed the named recipe: ")
                    .append(String.join(", ", changed))
                    .append(". The Maven goal above repeats the named recipe; to repeat this run, pass the same "
                            + "values to `io.github.sdsat.train.Trainer` (`--shape`, `--pretrain-steps`, `--sat-steps`, "
                            + "`--sat-peak-lr`, ...; docs/TRAINING.md).\n");
        }
        return b.toString();
    }

    /** The stage log: one row per invocation that trained this phase. */
    private static void stageLines(StringBuilder b, String name, TrainingPhase.Result r) {
        if (r.stages().isEmpty()) {
            return;
        }
        b.append("\nStages of ")
                .append(name)
                .append(
                        ":\n\n| stage | steps | tokens | wall time | training loss "
                                + "(last 10 steps) | held-out loss | threads | processor | ended |\n|---|---|---|---|---|---|---|---|---|\n");
        for (TrainingPhase.StageRecord s : r.stages()) {
            b.append(String.format(
                    "| %d | %d-%d | %d | %s | %.4f | %.4f | %d | %s | %s |%n",
                    s.stage(),
                    s.fromStep() + 1,
                    s.toStep(),
                    s.tokens(),
                    TrainingPhase.clock(s.seconds()),
                    s.trainingLoss(),
                    s.heldOutLoss(),
                    s.threads(),
                    s.cpu(),
                    s.endedAt()));
        }
    }

    private static void phaseLines(StringBuilder b, String name, TrainingPhase.Result r) {
        b.append(String.format(
                "- %s: %d steps, %d tokens seen, %s wall time, final training loss %.4f "
                        + "(mean of the last 10 steps)%s%n",
                name,
                r.steps(),
                r.tokensSeen(),
                TrainingPhase.clock(r.wallSeconds()),
                r.finalTrainingLoss(10),
                r.stoppedByTimeCap()
                        ? " — the recipe plans " + r.recipeSteps() + " steps; the time cap shortened the "
                                + "schedule to fit this machine"
                        : ""));
        if (!r.evaluations().isEmpty()) {
            TrainingPhase.EvalRecord e = r.evaluations().get(r.evaluations().size() - 1);
            b.append(String.format(
                    "  - last held-out evaluation (step %d): standard loss %.4f, accuracy %.4f%s%n",
                    e.step(),
                    e.standardLoss(),
                    e.standardAccuracy(),
                    Double.isNaN(e.satLoss())
                            ? ""
                            : String.format(
                                    ", SAT loss %.4f, SAT accuracy %.4f, SAT agreement with the model's own argmax "
                                            + "%.4f",
                                    e.satLoss(), e.satAccuracy(), e.satAgreement())));
        }
    }
}
