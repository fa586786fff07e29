package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultFilesTest {

    @TempDir
    Path folder;

    private static final RunResults SAMPLE = SampleRuns.run(null, List.of(0, 1, 2, 3));

    @Test
    void writesTheResultsJsonContract() throws IOException {
        Path runDir = folder.resolve("reports").resolve("sample-run");
        ResultFiles.write(runDir, SAMPLE);

        JsonNode root =
                new ObjectMapper().readTree(runDir.resolve("results.json").toFile());
        assertThat(root.path("config").path("runId").asText()).isEqualTo("sample-run");
        for (String field : List.of("device", "dtype", "javaVersion", "djlVersion")) {
            assertThat(root.path("environment").path(field).isTextual())
                    .as(field)
                    .isTrue();
        }
        JsonNode rows = root.path("rows");
        assertThat(rows.isArray()).isTrue();
        assertThat(rows.size()).isEqualTo(SAMPLE.rows().size());
        for (JsonNode row : rows) {
            for (String field : List.of(
                    "dataset",
                    "decoder",
                    "temperature",
                    "k",
                    "prompts",
                    "meanTimeMs",
                    "speedup",
                    "tokensPerSecond",
                    "tokensPerForward",
                    "acceptRate",
                    "meanAcceptedPerLoop",
                    "identicalToBaseline",
                    "repeatedAcceptedShare")) {
                assertThat(row.has(field)).as(field).isTrue();
            }
        }
        JsonNode baseline = rows.get(0);
        assertThat(baseline.path("dataset").asText()).isEqualTo("humaneval");
        assertThat(baseline.path("decoder").asText()).isEqualTo("ar");
        assertThat(baseline.path("k").asInt()).isZero();
        assertThat(baseline.path("temperature").asDouble()).isZero();
        assertThat(baseline.path("speedup").asDouble()).isEqualTo(1.0);
        assertThat(baseline.path("prompts").asInt()).isEqualTo(4);
        assertThat(baseline.path("identicalToBaseline").asInt()).isEqualTo(4);
        JsonNode sdsatK5 = find(rows, "humaneval", "sdsat", 0.0, 5);
        assertThat(sdsatK5.path("identicalToBaseline").asInt()).isEqualTo(3);
        assertThat(sdsatK5.path("speedup").asDouble()).isGreaterThan(1.0);
        JsonNode sampling = find(rows, "humaneval", "sdsat-tree", 1.0, 5);
        assertThat(sampling.path("identicalToBaseline").isNull()).isTrue();
        assertThat(sampling.path("sampling").asText()).isEqualTo("paper");

        JsonNode prompts = root.path("prompts");
        assertThat(prompts.size()).isEqualTo(SAMPLE.prompts().size());
        JsonNode first = prompts.get(0);
        assertThat(first.path("acceptedPerPosition").isArray()).isTrue();
        assertThat(first.has("baseline"))
                .as("helper methods are not serialised")
                .isFalse();
        assertThat(first.has("timeMs")).isTrue();

        assertThat(ResultFiles.read(runDir)).usingRecursiveComparison().isEqualTo(SAMPLE);
    }

    /** results.json written before the copied-4-gram counts existed still reads: the new fields come back null. */
    @Test
    void readsResultsWithoutTheRepetitionFields() throws IOException {
        Path runDir = folder.resolve("reports").resolve("old-run");
        ResultFiles.write(runDir, SAMPLE);
        Path json = runDir.resolve("results.json");
        ObjectMapper mapper = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root =
                (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(json.toFile());
        root.path("rows")
                .forEach(row -> ((com.fasterxml.jackson.databind.node.ObjectNode) row).remove("repeatedAcceptedShare"));
        root.path("prompts")
                .forEach(p -> ((com.fasterxml.jackson.databind.node.ObjectNode) p).remove("repeatedAcceptedTokens"));
        mapper.writeValue(json.toFile(), root);
        assertThat(java.nio.file.Files.readString(json)).doesNotContain("repeatedAccepted");
        RunResults read = ResultFiles.read(runDir);
        assertThat(read.prompts()).allMatch(p -> p.repeatedAcceptedTokens() == null);
        assertThat(read).usingRecursiveComparison().isEqualTo(SAMPLE);
    }

    @Test
    void writesCsvChartsAndPage() throws IOException {
        Path runDir = folder.resolve("run");
        List<Path> written = ResultFiles.write(runDir, SAMPLE);
        assertThat(written)
                .contains(
                        runDir.resolve("results.json"),
                        runDir.resolve("results.csv"),
                        runDir.resolve("prompts.csv"),
                        runDir.resolve("index.html"));

        List<String> rowsCsv = Files.readAllLines(runDir.resolve("results.csv"));
        assertThat(rowsCsv.get(0)).startsWith("dataset,decoder,temperature,k,sampling,prompts,meanTimeMs");
        assertThat(rowsCsv).hasSize(SAMPLE.rows().size() + 1);
        assertThat(rowsCsv.get(1)).startsWith("humaneval,ar,0.0,0,,4,");
        assertThat(Files.readAllLines(runDir.resolve("prompts.csv")))
                .hasSize(SAMPLE.prompts().size() + 1);

        List<String> expectedCharts = Stream.of("humaneval", "infilling")
                .flatMap(d -> Stream.of("time", "tokens-per-second", "acceptance", "tokens-per-forward", "speedup")
                        .map(m -> d + "-" + m + ".png"))
                .toList();
        for (String chart : expectedCharts) {
            BufferedImage image = ImageIO.read(runDir.resolve(chart).toFile());
            assertThat(image).as(chart).isNotNull();
            assertThat(image.getWidth()).isEqualTo(Charts.WIDTH);
            assertThat(image.getHeight()).isEqualTo(Charts.HEIGHT);
        }

        String html = Files.readString(runDir.resolve("index.html"), StandardCharsets.UTF_8);
        assertThat(html)
                .contains(HtmlReport.QUESTION)
                .contains("<h3>humaneval</h3>")
                .contains("<h3>infilling</h3>")
                .contains("<td>sdsat</td>")
                .contains("3 / 4")
                .contains("HumanEval/1")
                .contains("src=\"humaneval-speedup.png\"")
                .contains("href=\"results.json\"")
                .contains("href=\"results.csv\"")
                .contains("href=\"prompts.csv\"")
                .contains("NVIDIA H100 80GB HBM3")
                .doesNotContain("http://")
                .doesNotContain("https://")
                .doesNotContain("{{");
        try (Stream<Path> files = Files.list(runDir)) {
            assertThat(files.map(path -> path.getFileName().toString())).noneMatch(name -> name.endsWith(".tmp"));
        }
    }

    @Test
    void rewritingAFolderReplacesItsFiles() throws IOException {
        Path runDir = folder.resolve("run");
        ResultFiles.write(runDir, SampleRuns.run(null, List.of(0)));
        ResultFiles.write(runDir, SAMPLE);
        assertThat(ResultFiles.read(runDir).prompts()).hasSameSizeAs(SAMPLE.prompts());
    }

    @Test
    void summaryTableListsEveryRow() {
        String table = SummaryTable.format(SAMPLE.rows());
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(SAMPLE.rows().size() + 2);
        assertThat(lines.get(0)).startsWith("dataset").contains("speedup").contains("identical");
        assertThat(lines.get(1)).matches("-+");
        assertThat(lines.get(2))
                .contains("humaneval")
                .contains("ar")
                .contains("1.00×")
                .contains("4 / 4");
        RowSummary k5 = SAMPLE.rows().stream()
                .filter(row -> row.decoder().equals("sdsat")
                        && row.k() == 5
                        && row.dataset().equals("humaneval"))
                .findFirst()
                .orElseThrow();
        assertThat(table)
                .contains(String.format(java.util.Locale.ROOT, "%.2f×", k5.speedup()))
                .contains("3 / 4");
    }

    @Test
    void unwritableFolderIsRefusedBeforeWriting() throws IOException {
        Path file = Files.writeString(folder.resolve("a-file"), "x");
        assertThatThrownBy(() -> ResultFiles.write(file.resolve("run"), SAMPLE))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(file.resolve("run").toString())
                .hasMessageContaining("not writable")
                .hasMessageContaining("is a file");
        assertThatThrownBy(() -> ResultFiles.checkWritable(file))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("not a directory");

        // /proc refuses new files even to root, so this case holds for every user on Linux.
        Path proc = Path.of("/proc/self");
        if (Files.isDirectory(proc)) {
            assertThatThrownBy(() -> ResultFiles.write(proc.resolve("sdsat-run"), SAMPLE))
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("not writable")
                    .hasMessageContaining("sdsat.outputDirectory");
            assertThat(proc.resolve("sdsat-run")).doesNotExist();
        }

        // A locked folder: permission bits where this user is bound by them; root (CI) ignores those, so there the
        // folder is made unwritable for every user by placing it under a regular file. The check never skips.
        Path lockedDir = Files.createDirectory(folder.resolve("locked"));
        Files.setPosixFilePermissions(lockedDir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            boolean bitsEnforced = !canCreateFileIn(lockedDir);
            Path locked = bitsEnforced
                    ? lockedDir
                    : Files.writeString(folder.resolve("locked-file"), "x").resolve("sub");
            assertThatThrownBy(() -> ResultFiles.write(locked.resolve("run"), SAMPLE))
                    .as(
                            "writing under %s (%s)",
                            locked, bitsEnforced ? "permission bits r-x" : "a path under a regular file")
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("not writable");
            try (Stream<Path> files = Files.list(lockedDir)) {
                assertThat(files).as("nothing written into the locked folder").isEmpty();
            }
            assertThat(Files.exists(locked.resolve("run")))
                    .as("no run folder created at %s", locked)
                    .isFalse();
        } finally {
            Files.setPosixFilePermissions(lockedDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void readRefusesAFolderWithoutResults() {
        assertThatThrownBy(() -> ResultFiles.read(folder))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("No results.json");
    }

    @Test
    void latestPointsAtTheNewestRun() throws IOException {
        Path reports = folder.resolve("reports");
        Files.createDirectories(reports.resolve("run-1"));
        Files.createDirectories(reports.resolve("run-2"));
        Path latest = ResultFiles.updateLatest(reports, "run-1");
        if (Files.isSymbolicLink(latest)) {
            assertThat(Files.readSymbolicLink(latest)).isEqualTo(Path.of("run-1"));
            ResultFiles.updateLatest(reports, "run-2");
            assertThat(Files.readSymbolicLink(reports.resolve("latest"))).isEqualTo(Path.of("run-2"));
            assertThat(reports.resolve("latest").toRealPath())
                    .isEqualTo(reports.resolve("run-2").toRealPath());
        } else {
            assertThat(Files.readString(latest).strip()).isEqualTo("run-1");
        }
        try (Stream<Path> files = Files.list(reports)) {
            assertThat(files.map(path -> path.getFileName().toString())).noneMatch(name -> name.endsWith(".tmp"));
        }
        assertThatThrownBy(() -> ResultFiles.updateLatest(reports, "run-3"))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("run-3");
        assertThatThrownBy(() -> ResultFiles.updateLatest(reports, "../x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static boolean canCreateFileIn(Path folder) {
        try {
            Files.delete(Files.createTempFile(folder, "probe", ".tmp"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static JsonNode find(JsonNode rows, String dataset, String decoder, double temperature, int k) {
        for (JsonNode row : rows) {
            if (row.path("dataset").asText().equals(dataset)
                    && row.path("decoder").asText().equals(decoder)
                    && row.path("temperature").asDouble() == temperature
                    && row.path("k").asInt() == k) {
                return row;
            }
        }
        throw new AssertionError("No row " + dataset + "/" + decoder + "/T=" + temperature + "/k=" + k);
    }
}
