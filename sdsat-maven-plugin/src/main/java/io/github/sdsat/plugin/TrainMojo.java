package io.github.sdsat.plugin;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.train.PythonCorpus;
import io.github.sdsat.train.Trainer;
import io.github.sdsat.train.TrainingRecipe;
import java.io.File;
import java.nio.file.Path;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Rebuilds an embedded model: a byte-level BPE tokenizer and a small Llama code model trained on the Debian-package
 * corpus (recipe {@code staged}, the default: the shipped model, continued from the state committed in
 * {@code training/staged}) or on the CPython standard library found through {@code python3} (recipe {@code full}, the
 * first embedded model), then SDSAT fine-tuning; writes {@code base/} and {@code sdsat/} Hugging Face folders with model cards. Same seeds give the same losses. A killed run resumes when
 * started again with the same output folder. Threads: {@code sdsat.train.threads}.
 */
@Mojo(name = "train", requiresProject = false, aggregator = true, threadSafe = true)
public class TrainMojo extends AbstractMojo {

    /** Folder that receives tokenizer/, train-state/ (resumable), base/ and sdsat/. */
    @Parameter(
            property = "sdsat.train.output",
            defaultValue = "${maven.multiModuleProjectDirectory}/target/sdsat-train")
    File output;

    /** Runs a tiny version of the recipe (about a minute) instead of the chosen one (hours here). */
    @Parameter(property = "sdsat.train.quick", defaultValue = "false")
    boolean quick;

    /**
     * Folder of Python sources to train on; default for {@code full} and {@code quick}: the standard library of the
     * {@code python3} on the PATH ({@code staged} needs this or {@code sdsat.train.corpusCache}).
     */
    @Parameter(property = "sdsat.train.corpus")
    File corpus;

    /**
     * The recipe: {@code staged} (the default, the shipped model's: the Debian-package corpus, run as stages: use
     * with {@code sdsat.train.corpusCache} and {@code sdsat.train.stageMinutes}), {@code full} (the first embedded
     * model's, CPython standard library) or {@code quick}; {@code sdsat.train.quick=true} is the same as
     * {@code quick}.
     */
    @Parameter(property = "sdsat.train.recipe", defaultValue = Trainer.DEFAULT_RECIPE)
    String recipe;

    /**
     * Folder that keeps the Debian packages of the corpus (downloaded with apt-get download, checked against the
     * manifest's SHA-256, unpacked with dpkg -x); when set, the corpus is those packages instead of a folder.
     */
    @Parameter(property = "sdsat.train.corpusCache")
    File corpusCache;

    /** Ends this invocation after this many minutes with its state saved; the same command continues (0 = never). */
    @Parameter(property = "sdsat.train.stageMinutes", defaultValue = "0")
    double stageMinutes;

    /**
     * PyTorch intra-op threads of the training (0 = the recipe's: 1 for {@code staged}, whose stages repeat the
     * recipe bit for bit only with the thread count it started with; PyTorch's default otherwise). Ignored when
     * {@code ai.djl.pytorch.num_threads} is set.
     */
    @Parameter(property = "sdsat.train.threads", defaultValue = "0")
    int threads;

    /**
     * Copy the trained base and sdsat folders into {@code sdsat-runtime/src/main/resources} so the next
     * {@code mvn install} ships them as the embedded models.
     */
    @Parameter(property = "sdsat.train.install", defaultValue = "false")
    boolean install;

    /** The repository root (where sdsat-runtime/ lives), for {@code sdsat.train.install}. */
    @Parameter(defaultValue = "${maven.multiModuleProjectDirectory}", readonly = true)
    File projectRoot;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        DjlOffline.enable();
        try {
            if (corpus != null && corpusCache != null) {
                throw new SdsatException("Set sdsat.train.corpus (a folder of Python sources) or "
                        + "sdsat.train.corpusCache (the Debian-package corpus), not both");
            }
            TrainingRecipe chosen = Trainer.recipe(quick ? "quick" : recipe);
            if (threads < 0) {
                throw new SdsatException(
                        "sdsat.train.threads must be 0 (the recipe's) or a positive thread count, got " + threads);
            }
            int wanted = threads > 0 ? threads : chosen.name().equals("staged") ? 1 : 0;
            if (wanted > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
                // read by DJL when the PyTorch engine starts, which happens below
                System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(wanted));
                System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
                getLog().info("PyTorch runs the training with " + wanted + " thread(s)");
            }
            Trainer trainer = new Trainer(System.out);
            if (stageMinutes != 0) {
                trainer.stageMinutes(stageMinutes);
            }
            PythonCorpus sources = trainer.corpus(
                    chosen, corpus == null ? null : corpus.toPath(), corpusCache == null ? null : corpusCache.toPath());
            Trainer.Outcome outcome = trainer.run(chosen, sources, output.toPath());
            if (outcome.stageEnded()) {
                getLog().info("The stage ended with its state saved in " + output + ": run the same command again "
                        + "to continue.");
                return;
            }
            getLog().info("base:  " + outcome.base());
            getLog().info("sdsat: " + outcome.sdsat());
            if (install) {
                Path resources = projectRoot.toPath().resolve("sdsat-runtime/src/main/resources");
                getLog().info("installed " + EmbeddedModels.install(outcome.base(), EmbeddedModels.BASE, resources));
                getLog().info("installed "
                        + EmbeddedModels.install(outcome.sdsat(), EmbeddedModels.DEFAULT, resources));
            }
        } catch (IllegalArgumentException | SdsatException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new MojoExecutionException("sdsat:train failed: " + e, e);
        }
    }
}
