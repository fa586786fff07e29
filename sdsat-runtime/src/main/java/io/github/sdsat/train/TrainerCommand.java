package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DjlOffline;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The trainer's command line ({@code java ... io.github.sdsat.train.Trainer --help}): each option declared once,
 * parsed and typed by picocli, whose usage text is generated from the same declarations. Every option but
 * {@code --output} defaults to the recipe's value; a bad value is refused with what was wrong and the usage.
 */
@Command(
        name = "Trainer",
        sortOptions = false,
        sortSynopsis = false,
        usageHelpAutoWidth = true,
        description = {
            "Rebuilds the embedded model: BPE tokenizer, pretraining, base/, SDSAT fine-tuning, sdsat/ "
                    + "(docs/TRAINING.md). Rerun the same command after a kill or a stage's end to continue.",
            "Options other than --output default to the recipe's values.",
            "PyTorch intra-op threads: -Dai.djl.pytorch.num_threads=N (a resumed stage repeats the recipe bit for bit "
                    + "only with the thread count it started with)."
        })
final class TrainerCommand implements Callable<Integer> {
    @Option(
            names = "--output",
            paramLabel = "DIR",
            description = "The folder that receives tokenizer/, train-state/, base/ and sdsat/ (required).")
    Path output;

    @Option(
            names = "--recipe",
            paramLabel = "staged|full|quick",
            description = "The recipe: staged (the shipped model's, on the Debian-package corpus; the default), full "
                    + "(the first embedded model's, on the CPython standard library) or quick (about a minute).")
    String recipe;

    @Option(names = "--quick", description = "The same as --recipe quick (also -Dsdsat.train.quick=true).")
    boolean quick;

    @Option(
            names = "--corpus-cache",
            paramLabel = "DIR",
            description = "Train on the Debian-package corpus kept (fetched on first use) in this folder.")
    Path corpusCache;

    @Option(
            names = "--corpus",
            paramLabel = "PYTHON_SOURCES",
            description = "Train on this folder of Python sources instead (default for full and quick: the standard "
                    + "library of the python3 on the PATH).")
    Path corpusFolder;

    @Option(
            names = "--stage-minutes",
            paramLabel = "M",
            description = "End this invocation after M minutes, the state saved; the same command continues.")
    Double stageMinutes;

    @Option(
            names = "--pretrain-cut-at",
            paramLabel = "STEP",
            description = "End pretraining at this step of its schedule, then fine-tune and evaluate: an "
                    + "intermediate model of the trend (run it on a copy of the training folder).")
    Long pretrainCutAt;

    @Option(
            names = "--shape",
            paramLabel = "HIDDEN:LAYERS:HEADS:INTERMEDIATE",
            description = "Another model shape, everything else of the recipe kept.")
    String shape;

    @Option(names = "--pretrain-steps", paramLabel = "N", description = "Another length of the pretraining schedule.")
    Integer pretrainSteps;

    @Option(
            names = "--weights-dtype",
            paramLabel = "F32|F16",
            description = "The dtype of the written model.safetensors.")
    String weightsDtype;

    @Option(names = "--sat-steps", paramLabel = "N", description = "SDSAT fine-tuning steps.")
    Integer satSteps;

    @Option(names = "--sat-tokens-per-row", paramLabel = "N", description = "SAT tokens appended to each row.")
    Integer satTokensPerRow;

    @Option(
            names = "--sat-distillation",
            paramLabel = "ALPHA",
            description = "Share of the SAT term against the model's own distribution, in [0, 1].")
    Double satDistillation;

    @Option(names = "--sat-peak-lr", paramLabel = "LR", description = "Peak learning rate of the fine-tuning.")
    Double satPeakLr;

    @Option(names = "--sat-loss-weight", paramLabel = "W", description = "Weight of the SAT term in the loss.")
    Double satLossWeight;

    @Option(names = "--sat-minutes", paramLabel = "CAP", description = "Time cap of the fine-tuning, in minutes.")
    Double satMinutes;

    @Option(
            names = "--drafting-prompts",
            paramLabel = "N",
            description = "HumanEval prompts of the model card's decoding evaluation (0 skips it).")
    Integer draftingPrompts;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help and exit.")
    boolean help;

    /** Runs the command line; the exit code: 0 done or stage ended, 1 refused or failed, 2 options not understood. */
    static int run(String[] args) {
        return commandLine(new TrainerCommand(), System.out, System.err).execute(args);
    }

    /**
     * The parser of {@code command}: usage errors print what was wrong and the usage; a refusal of the recipe,
     * corpus or values (an {@link SdsatException} or {@link IllegalArgumentException}, whose messages name the fix)
     * prints its message; any other failure its stack trace.
     */
    static CommandLine commandLine(TrainerCommand command, PrintStream out, PrintStream err) {
        CommandLine line = new CommandLine(command);
        line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        line.setExecutionExceptionHandler((e, failed, parsed) -> {
            if (e instanceof SdsatException || e instanceof IllegalArgumentException) {
                failed.getErr().println(e.getMessage());
                return failed.getCommandSpec().exitCodeOnExecutionException();
            }
            throw e;
        });
        return line;
    }

    @Override
    public Integer call() {
        DjlOffline.enable(); // before the first engine call: no telemetry traffic
        if (output == null) {
            throw new IllegalArgumentException(
                    "Missing --output DIR: the folder that receives tokenizer/, train-state/, base/ and sdsat/");
        }
        TrainingRecipe chosen = recipe();
        Trainer.DraftingSettings drafting = drafting(chosen);
        Trainer trainer = new Trainer(System.out);
        if (stageMinutes != null) {
            trainer.stageMinutes(stageMinutes);
        }
        if (pretrainCutAt != null) {
            trainer.pretrainCutAt(pretrainCutAt);
        }
        PythonCorpus corpus = trainer.corpus(chosen, corpusFolder, corpusCache);
        Trainer.Outcome outcome = trainer.run(chosen, corpus, output, drafting);
        if (outcome.stageEnded()) {
            System.out.println("[train] stage ended; run the same command again to continue");
        }
        return 0;
    }

    /** The recipe the options name, with the settings they change. */
    TrainingRecipe recipe() {
        if (quick && recipe != null) {
            throw new IllegalArgumentException(
                    "Pass --quick or --recipe " + recipe + ", not both (--quick is " + "--recipe quick)");
        }
        String name = recipe != null
                ? recipe
                : quick || Boolean.getBoolean("sdsat.train.quick") ? "quick" : Trainer.DEFAULT_RECIPE;
        TrainingRecipe chosen = Trainer.recipe(name);
        if (shape != null) {
            chosen = chosen.withShape(shape);
        }
        if (pretrainSteps != null) {
            chosen = chosen.withPretrainSteps(pretrainSteps);
        }
        if (weightsDtype != null) {
            chosen = chosen.withWeightsDtype(weightsDtype);
        }
        chosen = chosen.withSatTuning(
                satSteps == null ? chosen.satSteps() : satSteps,
                satTokensPerRow == null ? chosen.satTokensPerRow() : satTokensPerRow,
                satDistillation == null ? chosen.satDistillation() : satDistillation,
                satMinutes == null ? chosen.satMaxMinutes() : satMinutes);
        if (satPeakLr != null) {
            chosen = chosen.withSatSettings(Map.of("satPeakLr", satPeakLr));
        }
        if (satLossWeight != null) {
            chosen = chosen.withSatSettings(Map.of("satLossWeight", satLossWeight));
        }
        return chosen;
    }

    /** The recipe's drafting evaluation, on {@code --drafting-prompts} prompts when given. */
    Trainer.DraftingSettings drafting(TrainingRecipe chosen) {
        Trainer.DraftingSettings drafting = Trainer.DraftingSettings.of(chosen);
        return draftingPrompts == null ? drafting : drafting.withPrompts(draftingPrompts);
    }
}
