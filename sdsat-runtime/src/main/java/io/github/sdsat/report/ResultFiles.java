package io.github.sdsat.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The files of a run folder {@code reports/<runId>/}: {@value #RESULTS_JSON} (the docs/DESIGN.md §9 contract),
 * {@value #RESULTS_CSV} (the summary rows), {@value #PROMPTS_CSV} (the per-prompt records), one PNG per chart
 * ({@code <dataset>-<metric>.png}) and {@value #INDEX_HTML}, plus the {@code latest} pointer of the reports
 * folder.
 *
 * <p>Every file is written through {@link AtomicFiles} into a staging folder that then replaces the run folder as a
 * whole ({@link #write}), so a reader never sees a half-written file or a mix of two runs, and a folder that cannot be
 * written is refused before anything is written.
 */
public final class ResultFiles {

    public static final String RESULTS_JSON = "results.json";
    public static final String RESULTS_CSV = "results.csv";
    public static final String PROMPTS_CSV = "prompts.csv";
    public static final String INDEX_HTML = "index.html";
    /** Name of the pointer to the newest run in the reports folder: a symbolic link, or ... */
    public static final String LATEST = "latest";
    /** ... where symbolic links cannot be made, a text file holding the run id. */
    public static final String LATEST_TXT = "latest.txt";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            // Newer versions may add fields; an older reader (sdsat:merge of mixed shards) should still read them.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ResultFiles() {}

    /** The JSON mapper used for {@value #RESULTS_JSON}. */
    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }

    /**
     * Refuses a folder that cannot hold report files, before anything is written: it (or, when it does not exist
     * yet, its nearest existing ancestor) must be a directory in which a file can be created. The check creates
     * and removes one empty probe file, since permission bits alone mislead (e.g. read-only mounts, or root).
     *
     * @throws SdsatException naming the folder, the reason and the fix
     */
    public static void checkWritable(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw unwritable(absolute, "no part of the path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw unwritable(
                    absolute,
                    existing.equals(absolute)
                            ? "it exists and is not a directory"
                            : existing + " is a file, not a directory");
        }
        Path probe = null;
        try {
            probe = Files.createTempFile(existing, ".sdsat-write-check-", ".tmp");
        } catch (IOException | SecurityException e) {
            throw unwritable(absolute, (existing.equals(absolute) ? "" : existing + ": ") + describe(e));
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // A leftover empty probe file is harmless; the write check itself succeeded.
                }
            }
        }
    }

    private static SdsatException unwritable(Path folder, String reason) {
        return new SdsatException("Report folder " + folder + " is not writable (" + reason + "); choose another"
                + " output folder (sdsat.outputDirectory) or make this one writable");
    }

    private static String describe(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /**
     * Writes the whole report of a run into {@code runDir} (created if missing): {@value #RESULTS_JSON},
     * {@value #RESULTS_CSV}, {@value #PROMPTS_CSV}, the chart PNGs and {@value #INDEX_HTML}.
     *
     * <p>The files are written into a hidden staging folder beside {@code runDir}, which then replaces {@code runDir} as a
     * whole (docs/DESIGN.md §8): re-running a run id replaces the old run, and no reader ever sees a folder that mixes
     * two runs or holds a truncated file. Between the two renames of the swap {@code runDir} is briefly absent; a crash
     * exactly there leaves the old run in {@code .<runDir>.*.old} and the new one in {@code .<runDir>.*.new}, both
     * complete. Where the parent folder cannot hold the staging folder, the files are replaced one by one instead, each
     * atomically.
     *
     * @return the files written, under {@code runDir}
     * @throws SdsatException if the folder is not writable (nothing is written then) or writing fails
     */
    public static List<Path> write(Path runDir, RunResults results) {
        checkWritable(runDir);
        Path target = runDir.toAbsolutePath().normalize();
        String runName =
                target.getFileName() == null ? "run" : target.getFileName().toString();
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(results);
        } catch (IOException e) {
            throw new SdsatException("Cannot serialise the results of " + runDir + " to JSON: " + e.getMessage(), e);
        }
        recoverInterruptedReplace(target);
        Path staging = target.getParent() == null
                ? null
                : target.getParent()
                        .resolve(
                                "." + runName + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".new");
        try {
            Files.createDirectories(target.getParent());
            Files.createDirectory(staging);
        } catch (IOException | RuntimeException e) {
            // No sibling folder possible (e.g. only runDir itself is writable): replace the files in place, each
            // atomically.
            createFolder(target);
            return writeFiles(target, results, json, runName).stream()
                    .map(runDir::resolve)
                    .toList();
        }
        try {
            List<Path> names = writeFiles(staging, results, json, runName);
            replaceFolder(staging, target);
            return names.stream().map(runDir::resolve).toList();
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot move the new report into " + target + " (" + describe(e) + "); the previous"
                            + " report there, if any, is unchanged: check that " + target.getParent() + " is writable",
                    e);
        } finally {
            deleteTree(staging);
        }
    }

    private static void createFolder(Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot create report folder " + folder + ": " + describe(e)
                            + "; choose another output folder (sdsat.outputDirectory)",
                    e);
        }
    }

    /** Writes the report files into {@code folder}, each through {@link AtomicFiles}; returns their names. */
    private static List<Path> writeFiles(Path folder, RunResults results, byte[] json, String runName) {
        List<Path> written = new ArrayList<>();
        written.add(AtomicFiles.write(folder.resolve(RESULTS_JSON), json).getFileName());
        written.add(AtomicFiles.write(
                        folder.resolve(RESULTS_CSV),
                        Csv.of(RowSummary.class, results.rows()).getBytes(StandardCharsets.UTF_8))
                .getFileName());
        written.add(AtomicFiles.write(
                        folder.resolve(PROMPTS_CSV),
                        Csv.of(PromptRecord.class, results.prompts()).getBytes(StandardCharsets.UTF_8))
                .getFileName());
        List<Charts.ChartImage> charts = Charts.render(results.rows());
        for (Charts.ChartImage chart : charts) {
            written.add(AtomicFiles.write(folder.resolve(chart.fileName()), chart.png())
                    .getFileName());
        }
        if (!results.gates().isEmpty()) {
            // The gates as CI test results: JUnit XML and Allure results, inside the run folder like every file.
            written.add(Path.of(GateReports.JUNIT_XML));
            Path junit = folder.resolve(GateReports.JUNIT_XML);
            createFolder(junit.getParent());
            AtomicFiles.write(junit, GateReports.junitXml(results, runName));
            Path allure = folder.resolve(GateReports.ALLURE_FOLDER);
            createFolder(allure);
            GateReports.allureResults(results, runName)
                    .forEach((name, bytes) -> AtomicFiles.write(allure.resolve(name), bytes));
        }
        String html = HtmlReport.render(results, charts, runName);
        written.add(AtomicFiles.write(folder.resolve(INDEX_HTML), html.getBytes(StandardCharsets.UTF_8))
                .getFileName());
        return written;
    }

    /**
     * Puts the complete {@code staging} folder in {@code target}'s place by renames: the old folder (if any) aside, the
     * new one in, the old one deleted. If the second rename fails the old folder is put back.
     */
    private static void replaceFolder(Path staging, Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            renameFolder(staging, target);
            return;
        }
        Path old = target.resolveSibling(staging.getFileName().toString().replaceFirst("\\.new$", ".old"));
        renameFolder(target, old);
        try {
            renameFolder(staging, target);
        } catch (IOException e) {
            try {
                renameFolder(old, target);
            } catch (IOException restore) {
                e.addSuppressed(restore);
            }
            throw e;
        }
        deleteTree(old);
    }

    /**
     * Cleans up after a write that died between its two renames ({@link #replaceFolder}) or before it removed its
     * staging folder: only the sibling folders {@code .<name>.<pid>.<n>.old|.new} of processes no longer alive, so a
     * write in progress is never touched. A set-aside old report whose replacement never arrived is put back in
     * {@code target}'s place (the newest, when there are several); the rest are deleted. Best effort: a folder that
     * cannot be moved or deleted stays, and the write goes on.
     */
    private static void recoverInterruptedReplace(Path target) {
        Path parent = target.getParent();
        if (parent == null || target.getFileName() == null || !Files.isDirectory(parent)) {
            return;
        }
        java.util.regex.Pattern leftover = java.util.regex.Pattern.compile(
                java.util.regex.Pattern.quote("." + target.getFileName() + ".") + "(\\d+)\\.\\d+\\.(old|new)");
        List<Path> old = new ArrayList<>();
        List<Path> dead = new ArrayList<>();
        try (var siblings = Files.list(parent)) {
            for (Path p : (Iterable<Path>) siblings::iterator) {
                java.util.regex.Matcher m = leftover.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !alive(m.group(1))) {
                    dead.add(p);
                    if (m.group(2).equals("old") && Files.isRegularFile(p.resolve(RESULTS_JSON))) {
                        old.add(p);
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return;
        }
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !old.isEmpty()) {
            old.sort(java.util.Comparator.comparing(ResultFiles::modified));
            Path newest = old.get(old.size() - 1);
            try {
                renameFolder(newest, target);
                dead.remove(newest);
            } catch (IOException e) {
                return; // leave everything as found: the old report is still in the set-aside folder
            }
        }
        dead.forEach(ResultFiles::deleteTree);
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid))
                    .map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (NumberFormatException e) {
            return true; // not ours to judge
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    private static void renameFolder(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // Same parent folder, so only unusual file systems get here; a plain rename is the best left.
            Files.move(from, to);
        }
    }

    /** Deletes a folder and what it holds (a replaced run, or a staging folder left by a failed write); best effort. */
    private static void deleteTree(Path folder) {
        if (folder == null || !Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = Files.walk(folder)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(ResultFiles::deleteQuietly);
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // A leftover hidden folder does not affect the published report.
        }
    }

    /**
     * Reads {@value #RESULTS_JSON} of a run folder.
     *
     * @throws SdsatException naming the file when it is missing or not a valid results file
     */
    public static RunResults read(Path runDir) {
        recoverInterruptedReplace(runDir.toAbsolutePath().normalize());
        Path file = runDir.resolve(RESULTS_JSON);
        if (!Files.isRegularFile(file)) {
            throw new SdsatException("No " + RESULTS_JSON + " in " + runDir.toAbsolutePath()
                    + "; give the folder of a run written by sdsat:reproduce (reports/<runId>)");
        }
        try {
            return MAPPER.readValue(file.toFile(), RunResults.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new SdsatException(
                    "Cannot read " + file.toAbsolutePath() + " as SDSAT results: " + e.getMessage()
                            + "; the file is damaged or was not written by sdsat:reproduce",
                    e);
        }
    }

    /**
     * Points {@code reportsRoot/latest} at the run folder {@code reportsRoot/runId}: a relative symbolic link,
     * replaced atomically (a new link under a temporary name renamed over the old one). Where symbolic links
     * cannot be made (e.g. Windows without the privilege), writes {@value #LATEST_TXT} holding the run id instead.
     *
     * @return the link or the text file written
     */
    public static Path updateLatest(Path reportsRoot, String runId) {
        if (runId == null
                || runId.isBlank()
                || runId.contains("/")
                || runId.contains("\\")
                || runId.equals(".")
                || runId.equals("..")) {
            throw new IllegalArgumentException("Run id '" + runId + "' is not a single folder name;"
                    + " give the name of a folder in " + reportsRoot);
        }
        if (!Files.isDirectory(reportsRoot.resolve(runId))) {
            throw new SdsatException("Run folder " + reportsRoot.resolve(runId).toAbsolutePath()
                    + " does not exist; write the run before pointing " + LATEST + " at it");
        }
        Path latest = reportsRoot.resolve(LATEST);
        if (Files.exists(latest, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(latest)) {
            throw new SdsatException(latest.toAbsolutePath() + " exists and is not a symbolic link;"
                    + " move it away so that it can point at the newest run");
        }
        Path temporaryLink = reportsRoot.resolve(
                "." + LATEST + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            Files.createSymbolicLink(temporaryLink, Path.of(runId));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // No symbolic links here: the text file is the documented fallback.
            return AtomicFiles.write(reportsRoot.resolve(LATEST_TXT), (runId + "\n").getBytes(StandardCharsets.UTF_8));
        }
        try {
            Files.move(temporaryLink, latest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            deleteQuietly(temporaryLink);
            return AtomicFiles.write(reportsRoot.resolve(LATEST_TXT), (runId + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            deleteQuietly(temporaryLink);
            throw new SdsatException(
                    "Cannot point " + latest.toAbsolutePath() + " at " + runId + ": " + describe(e), e);
        }
        // A stale fallback file would contradict the link.
        deleteQuietly(reportsRoot.resolve(LATEST_TXT));
        return latest;
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (NoSuchFileException ignored) {
            // Already gone.
        } catch (IOException ignored) {
            // Best effort: leaving the file behind does not affect the result.
        }
    }
}
