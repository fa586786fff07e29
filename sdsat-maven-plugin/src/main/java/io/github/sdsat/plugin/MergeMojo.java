package io.github.sdsat.plugin;

import io.github.sdsat.gate.GateFailures;
import io.github.sdsat.report.GateReports;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.report.ShardFolders;
import io.github.sdsat.report.SummaryTable;
import io.github.sdsat.results.RunResults;
import java.io.File;
import java.nio.file.Path;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Merges the shards of one run ({@code <outputDirectory>/<runId>-shard-<i>-of-<n>/}, written by
 * {@code sdsat:reproduce -Dsdsat.shard=i/n}) into one report in {@code <outputDirectory>/<runId>/} and points
 * {@code latest} at it. Refuses a missing shard, shards of different shard counts, and shards that measured
 * different things (other configurations, models, dtypes or GPUs).
 */
@Mojo(name = "merge", requiresProject = false, aggregator = true, threadSafe = true)
public class MergeMojo extends AbstractMojo {

    /** The run id the shards were run with. */
    @Parameter(property = "sdsat.runId", required = true)
    String runId;

    /** Report root that holds the shard folders and receives the merged run. */
    @Parameter(property = "sdsat.outputDirectory", defaultValue = "${maven.multiModuleProjectDirectory}/reports")
    File outputDirectory;

    @Override
    public void execute() throws MojoFailureException {
        Path root = outputDirectory.toPath();
        RunResults merged;
        try {
            merged = ShardFolders.mergeRun(root, runId);
        } catch (RuntimeException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
        getLog().info("Merged " + merged.config().get("shards") + " into " + root.resolve(runId));
        getLog().info("Summary:\n" + SummaryTable.format(merged.rows()));
        getLog().info("Report: "
                + root.resolve(runId).resolve(ResultFiles.INDEX_HTML).toAbsolutePath());
        if (!merged.gates().isEmpty()) {
            getLog().info("Gates of every shard:\n" + GateReports.summary(merged));
            try {
                GateFailures.requireNone(merged);
            } catch (RuntimeException e) {
                throw new MojoFailureException(e.getMessage(), e);
            }
        }
    }
}
