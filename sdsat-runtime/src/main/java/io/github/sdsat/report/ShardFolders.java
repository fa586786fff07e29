package io.github.sdsat.report;

import io.github.sdsat.SdsatException;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.Shard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where the shards of a run write, and how {@code sdsat:merge} finds them.
 *
 * <p>A run without shards writes {@code <reports>/<runId>/}. Shard {@code i/n} (0-based i) writes
 * {@code <reports>/<runId>-shard-<i>-of-<n>/}, a complete report of its own prompts. Merging reads all
 * {@code n} shard folders of the run id, refuses a missing shard or a mix of shard counts, joins the results
 * ({@link Merge#merge}), writes {@code <reports>/<runId>/} and points {@code latest} at it.
 */
public final class ShardFolders {
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private ShardFolders() {}

    /**
     * Checks that a run id can be used as a folder name on every platform.
     *
     * @throws IllegalArgumentException naming the id and the allowed characters
     */
    public static String checkRunId(String runId) {
        if (runId == null || !RUN_ID.matcher(runId).matches() || runId.contains("-shard-")) {
            throw new IllegalArgumentException("Run id '" + runId + "' is not usable as a folder name: use letters, "
                    + "digits, '.', '_' and '-', starting with a letter or digit, without '-shard-' (e.g. "
                    + "-Dsdsat.runId=paper-cpu-1)");
        }
        return runId;
    }

    /** {@code runId} for a whole run, {@code runId-shard-i-of-n} for a shard. */
    public static String folderName(String runId, Shard shard) {
        return shard.count() == 1 ? runId : runId + "-shard-" + shard.index() + "-of-" + shard.count();
    }

    /**
     * The shard folders of {@code runId} under {@code reportsRoot}, ordered by shard index.
     *
     * @throws SdsatException when there are none, when shard counts differ, or when a shard is missing
     */
    public static List<Path> find(Path reportsRoot, String runId) {
        checkRunId(runId);
        Pattern pattern = Pattern.compile(Pattern.quote(runId) + "-shard-(\\d+)-of-(\\d+)");
        TreeMap<Integer, Path> byIndex = new TreeMap<>();
        Integer count = null;
        if (Files.isDirectory(reportsRoot)) {
            try (Stream<Path> children = Files.list(reportsRoot)) {
                for (Path child : children.sorted().toList()) {
                    Matcher m = pattern.matcher(child.getFileName().toString());
                    if (!m.matches() || !Files.isDirectory(child)) {
                        continue;
                    }
                    int index = Integer.parseInt(m.group(1));
                    int n = Integer.parseInt(m.group(2));
                    if (count != null && count != n) {
                        throw new SdsatException("Shard folders of run " + runId + " in " + reportsRoot
                                + " disagree on the shard count (" + count + " and " + n + "): remove the folders "
                                + "of the partition you do not want to merge");
                    }
                    count = n;
                    byIndex.put(index, child);
                }
            } catch (IOException e) {
                throw new SdsatException("Cannot list " + reportsRoot + ": " + e.getMessage(), e);
            }
        }
        if (count == null) {
            throw new SdsatException("No shard folders " + runId + "-shard-<i>-of-<n> in "
                    + reportsRoot.toAbsolutePath() + ": run sdsat:reproduce with -Dsdsat.runId=" + runId
                    + " -Dsdsat.shard=i/n for each shard first (or set sdsat.outputDirectory to where they are)");
        }
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (!byIndex.containsKey(i)) {
                missing.add(i);
            }
        }
        if (!missing.isEmpty()) {
            throw new SdsatException("Run " + runId + " has " + count + " shards but shard(s) " + missing
                    + " are missing in " + reportsRoot.toAbsolutePath() + ": run them with -Dsdsat.shard="
                    + missing.get(0) + "/" + count + " (etc.) before merging");
        }
        return List.copyOf(byIndex.values());
    }

    /**
     * Merges the shards of {@code runId} into {@code reportsRoot/runId} and points {@code latest} at it.
     *
     * @return the merged results
     */
    public static RunResults mergeRun(Path reportsRoot, String runId) {
        List<Path> folders = find(reportsRoot, runId);
        List<RunResults> shards = new ArrayList<>();
        for (Path folder : folders) {
            shards.add(ResultFiles.read(folder));
        }
        RunResults merged = Merge.merge(shards);
        Path runDir = reportsRoot.resolve(runId);
        ResultFiles.write(runDir, merged);
        ResultFiles.updateLatest(reportsRoot, runId);
        return merged;
    }
}
