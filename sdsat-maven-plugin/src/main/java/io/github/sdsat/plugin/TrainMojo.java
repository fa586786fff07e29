package io.github.sdsat.plugin;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.train.PythonCorpus;
import io.github.sdsat.train.Trainer;
import io.github.sdsat.train.TrainingRecipe;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.nio.file.Path;

/**
 * Rebuilds the embedded model from scratch: a byte-level BPE tokenizer and a small Llama code model trained on the
 * CPython standard library found through {@code python3}, then SDSAT fine-tuning; writes {@code base/} and
 * {@code sdsat/} Hugging Face folders with model cards. Same seeds give the same losses. A killed run resumes when
 * started again with the same output folder. Use {@code -Dai.djl.pytorch.num_threads=2} on a quiet 2-core machine.
 */
@Mojo(name = "train", requiresProject = false, aggregator = true, threadSafe = true)
public class TrainMojo extends AbstractMojo {

    /** Folder that receives tokenizer/, train-state/ (resumable), base/ and sdsat/. */
    @Parameter(property = "sdsat.train.output", defaultValue = "${maven.multiModuleProjectDirectory}/target/sdsat-train")
    File output;

    /** Runs a tiny version of the recipe (about a minute) instead of the full one (about 50 minutes here). */
    @Parameter(property = "sdsat.train.quick", defaultValue = "false")
    boolean quick;

    /** Folder of Python sources to train on; default: the standard library of the {@code python3} on the PATH. */
    @Parameter(property = "sdsat.train.corpus")
    File corpus;

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
            PythonCorpus sources = corpus == null ? PythonCorpus.ofInstalledPython() : PythonCorpus.of(corpus.toPath());
            TrainingRecipe recipe = quick ? TrainingRecipe.quick() : TrainingRecipe.full();
            Trainer.Outcome outcome = new Trainer(System.out).run(recipe, sources, output.toPath());
            getLog().info("base:  " + outcome.base());
            getLog().info("sdsat: " + outcome.sdsat());
            if (install) {
                Path resources = projectRoot.toPath().resolve("sdsat-runtime/src/main/resources");
                getLog().info("installed " + EmbeddedModels.install(outcome.base(), EmbeddedModels.BASE, resources));
                getLog().info("installed " + EmbeddedModels.install(outcome.sdsat(), EmbeddedModels.DEFAULT, resources));
            }
        } catch (IllegalArgumentException | SdsatException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new MojoExecutionException("sdsat:train failed: " + e, e);
        }
    }
}
