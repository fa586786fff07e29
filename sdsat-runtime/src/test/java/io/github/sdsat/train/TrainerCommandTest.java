package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The trainer's command line: the options it reads, their defaults (the shipped model's recipe), and a clear refusal
 * of each kind of bad input, all without training anything.
 */
class TrainerCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int execute(String... args) {
        return TrainerCommand.commandLine(
                        new TrainerCommand(),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .execute(args);
    }

    private static TrainerCommand parsed(String... args) {
        TrainerCommand command = new TrainerCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void helpListsEveryOptionWithItsValue() {
        assertThat(execute("--help")).isZero();
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(help)
                .contains("Usage: Trainer")
                .contains("--output=DIR", "--recipe=staged|full|quick", "--quick", "--corpus-cache=DIR")
                .contains("--corpus=PYTHON_SOURCES", "--stage-minutes=M", "--pretrain-cut-at=STEP")
                .contains("--shape=HIDDEN:LAYERS:HEADS:INTERMEDIATE", "--pretrain-steps=N", "--weights-dtype=F32|F16")
                .contains("--sat-steps=N", "--sat-tokens-per-row=N", "--sat-distillation=ALPHA", "--sat-peak-lr=LR")
                .contains("--sat-loss-weight=W", "--sat-minutes=CAP", "--drafting-prompts=N")
                .contains("the default");
    }

    @Test
    void theDefaultRecipeIsTheShippedModelsAndQuickIsAShorthand() {
        assertThat(parsed("--output", "x").recipe()).isEqualTo(TrainingRecipe.staged());
        assertThat(Trainer.DEFAULT_RECIPE).isEqualTo("staged");
        assertThat(parsed("--output", "x", "--quick").recipe()).isEqualTo(TrainingRecipe.quick());
        assertThat(parsed("--recipe", "full").recipe()).isEqualTo(TrainingRecipe.full());
        String saved = System.getProperty("sdsat.train.quick");
        try {
            System.setProperty("sdsat.train.quick", "true");
            assertThat(parsed().recipe()).isEqualTo(TrainingRecipe.quick());
            assertThat(parsed("--recipe", "staged").recipe()).isEqualTo(TrainingRecipe.staged());
        } finally {
            if (saved == null) {
                System.clearProperty("sdsat.train.quick");
            } else {
                System.setProperty("sdsat.train.quick", saved);
            }
        }
        assertThatThrownBy(() -> parsed("--quick", "--recipe", "full").recipe())
                .hasMessageContaining("--quick or --recipe full, not both");
    }

    @Test
    void optionsChangeTheNamedRecipeAndTheDraftingEvaluation() {
        TrainerCommand command =
                parsed("--recipe", "staged", "--sat-peak-lr", "1e-4", "--sat-steps", "700", "--pretrain-steps", "600");
        TrainingRecipe recipe = command.recipe();
        assertThat(Trainer.changedFromNamedRecipe(recipe))
                .containsExactly("pretrainSteps 12000 -> 600", "satSteps 1000 -> 700", "satPeakLr 2.0E-4 -> 1.0E-4");
        assertThat(command.drafting(recipe).prompts()).isEqualTo(82);
        assertThat(parsed("--drafting-prompts", "0").drafting(recipe).prompts()).isZero();
    }

    @Test
    void badInputIsRefusedNamingTheProblemAndTheFix(@TempDir Path dir) {
        assertThat(execute("--bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("Unknown option: '--bogus'")
                .contains("Usage: Trainer");
        err.reset();
        assertThat(execute("--output", dir.toString(), "--sat-steps", "many")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("Invalid value for option '--sat-steps': 'many' is not an int");
        err.reset();
        assertThat(execute("--output")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Missing required parameter for option '--output'");
        err.reset();
        assertThat(execute("--recipe", "quick")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Missing --output DIR: the folder that receives");
        err.reset();
        assertThat(execute("--output", dir.toString(), "--recipe", "huge")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("Unknown training recipe 'huge': use full, staged or quick");
        err.reset();
        assertThat(execute("--output", dir.toString(), "--stage-minutes", "-1")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("The stage length must be a positive number");
        err.reset();
        // the staged recipe's corpus is the Debian packages: without a corpus it is refused before any training
        assertThat(execute("--output", dir.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("pass --corpus-cache DIR");
        assertThat(dir.resolve("tokenizer")).doesNotExist();
    }

    @Test
    void theCorpusIsOneSourceAndTheStagedRecipeNeedsTheDebianPackages(@TempDir Path dir) {
        Trainer trainer = new Trainer(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThatThrownBy(() -> trainer.corpus(TrainingRecipe.full(), dir, dir))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("Pass --corpus (one folder of sources) or --corpus-cache")
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> trainer.corpus(TrainingRecipe.staged(), null, null))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("trains on the Debian-package corpus")
                .hasMessageContaining("-Dsdsat.train.corpusCache=DIR")
                .hasMessageContaining("--recipe full");
    }
}
