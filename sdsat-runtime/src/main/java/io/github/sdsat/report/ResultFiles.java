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
 * <p>Every file is written through {@link AtomicFiles} (a temporary name in the run folder, moved into place), so a
 * reader never sees a half-written file, and a folder that cannot be written is refused before anything is written.
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
      throw unwritable(absolute, existing.equals(absolute)
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
   * {@value #RESULTS_CSV}, {@value #PROMPTS_CSV}, the chart PNGs and {@value #INDEX_HTML}, in that order.
   *
   * @return the files written
   * @throws SdsatException if the folder is not writable (nothing is written then) or writing fails
   */
  public static List<Path> write(Path runDir, RunResults results) {
    checkWritable(runDir);
    try {
      Files.createDirectories(runDir);
    } catch (IOException e) {
      throw new SdsatException("Cannot create report folder " + runDir.toAbsolutePath() + ": " + describe(e)
          + "; choose another output folder (sdsat.outputDirectory)", e);
    }
    List<Path> written = new ArrayList<>();
    byte[] json;
    try {
      json = MAPPER.writeValueAsBytes(results);
    } catch (IOException e) {
      throw new SdsatException("Cannot serialise the results of " + runDir + " to JSON: " + e.getMessage(), e);
    }
    written.add(AtomicFiles.write(runDir.resolve(RESULTS_JSON), json));
    written.add(AtomicFiles.write(runDir.resolve(RESULTS_CSV),
        Csv.of(RowSummary.class, results.rows()).getBytes(StandardCharsets.UTF_8)));
    written.add(AtomicFiles.write(runDir.resolve(PROMPTS_CSV),
        Csv.of(PromptRecord.class, results.prompts()).getBytes(StandardCharsets.UTF_8)));
    List<Charts.ChartImage> charts = Charts.render(results.rows());
    for (Charts.ChartImage chart : charts) {
      written.add(AtomicFiles.write(runDir.resolve(chart.fileName()), chart.png()));
    }
    String runName = runDir.toAbsolutePath().normalize().getFileName() == null
        ? "run" : runDir.toAbsolutePath().normalize().getFileName().toString();
    String html = HtmlReport.render(results, charts, runName);
    written.add(AtomicFiles.write(runDir.resolve(INDEX_HTML), html.getBytes(StandardCharsets.UTF_8)));
    return List.copyOf(written);
  }

  /**
   * Reads {@value #RESULTS_JSON} of a run folder.
   *
   * @throws SdsatException naming the file when it is missing or not a valid results file
   */
  public static RunResults read(Path runDir) {
    Path file = runDir.resolve(RESULTS_JSON);
    if (!Files.isRegularFile(file)) {
      throw new SdsatException("No " + RESULTS_JSON + " in " + runDir.toAbsolutePath()
          + "; give the folder of a run written by sdsat:reproduce (reports/<runId>)");
    }
    try {
      return MAPPER.readValue(file.toFile(), RunResults.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new SdsatException("Cannot read " + file.toAbsolutePath() + " as SDSAT results: " + e.getMessage()
          + "; the file is damaged or was not written by sdsat:reproduce", e);
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
    if (runId == null || runId.isBlank() || runId.contains("/") || runId.contains("\\")
        || runId.equals(".") || runId.equals("..")) {
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
    Path temporaryLink = reportsRoot.resolve("." + LATEST + "." + ProcessHandle.current().pid() + "."
        + System.nanoTime() + ".tmp");
    try {
      Files.createSymbolicLink(temporaryLink, Path.of(runId));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // No symbolic links here: the text file is the documented fallback.
      return AtomicFiles.write(reportsRoot.resolve(LATEST_TXT),
          (runId + "\n").getBytes(StandardCharsets.UTF_8));
    }
    try {
      Files.move(temporaryLink, latest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      deleteQuietly(temporaryLink);
      return AtomicFiles.write(reportsRoot.resolve(LATEST_TXT), (runId + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      deleteQuietly(temporaryLink);
      throw new SdsatException("Cannot point " + latest.toAbsolutePath() + " at " + runId + ": " + describe(e), e);
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
