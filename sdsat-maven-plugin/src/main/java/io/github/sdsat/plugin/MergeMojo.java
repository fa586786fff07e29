package io.github.sdsat.plugin;

import io.github.sdsat.bench.ReproductionGoal;
import java.io.File;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Merges the shards of one run ({@code <outputDirectory>/<runId>-shard-<i>-of-<n>/}, written by
 * {@code sdsat:reproduce -Dsdsat.shard=i/n}) into one report in {@code <outputDirectory>/<runId>/} and points
 * {@code latest} at it. Refuses a missing shard, shards of different shard counts, and shards that measured
 * different things (other configurations, models, dtypes or GPUs).
 */
@Mojo(name = "merge", requiresProject = false, aggregator = true, threadSafe = true)
public class MergeMojo extends AbstractGoalMojo {

    /** The run id the shards were run with. */
    @Parameter(property = "sdsat.runId", required = true)
    String runId;

    /** Report root that holds the shard folders and receives the merged run. */
    @Parameter(property = "sdsat.outputDirectory", defaultValue = "${maven.multiModuleProjectDirectory}/reports")
    File outputDirectory;

    @Override
    protected void run() {
        ReproductionGoal.merge(outputDirectory.toPath(), runId, getLog()::info);
    }
}
