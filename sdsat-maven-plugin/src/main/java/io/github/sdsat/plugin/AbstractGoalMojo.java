package io.github.sdsat.plugin;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DjlOffline;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;

/**
 * The one place where goals turn runtime errors into build failures: {@link IllegalArgumentException} and
 * {@link SdsatException} are the user's to fix (a failure naming the problem), anything else is an error of the
 * goal. Every goal switches DJL offline before any DJL engine starts (see {@link DjlOffline}).
 */
abstract class AbstractGoalMojo extends AbstractMojo {

    @Override
    public final void execute() throws MojoExecutionException, MojoFailureException {
        // Before anything can touch ai.djl.engine.Engine: DJL reads these when the engine starts.
        DjlOffline.enable();
        try {
            run();
        } catch (IllegalArgumentException | SdsatException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new MojoExecutionException(getClass().getSimpleName() + " failed: " + e, e);
        }
    }

    /** Maps the goal's parameters and makes its one runtime call. */
    protected abstract void run();
}
