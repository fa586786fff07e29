package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.results.RunResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report folder's replacement (staging folder, then two renames) under the two failures that can hit it: a crash
 * between the renames (the old report set aside, the new one not yet in place), and two runs writing the same runId
 * at once. After either, the folder holds exactly one complete report, its files from one run, and no set-aside
 * folder is left behind.
 */
class ReportWriteInterruptionTest {
    @TempDir
    Path dir;

    private static final RunResults FIRST = SampleRuns.run("first", List.of(0, 1));
    private static final RunResults SECOND = SampleRuns.run("second", List.of(0, 1, 2, 3, 5));

    @Test
    void aCrashBetweenTheRenamesLeavesTheOldReportToTheNextWrite() throws IOException {
        Path run = dir.resolve("run");
        ResultFiles.write(run, FIRST);
        // The state a crash after the first rename leaves: the old report set aside, a complete staging folder,
        // both named by a process that is gone (pids on Linux stay below 2^22).
        Path old = dir.resolve(".run.999999999.678.old");
        Path staging = dir.resolve(".run.999999999.678.new");
        Files.move(run, old);
        ResultFiles.write(staging, SECOND);
        assertThat(run).doesNotExist();

        ResultFiles.write(run, SECOND);

        assertOneCompleteReport(run, SECOND);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("set-aside and staging folders of the interrupted write")
                    .containsExactly("run");
        }
    }

    @Test
    void readingAfterACrashBetweenTheRenamesFindsTheOldReport() throws IOException {
        Path run = dir.resolve("run");
        ResultFiles.write(run, FIRST);
        Files.move(run, dir.resolve(".run.999999999.678.old"));
        RunResults read = ResultFiles.read(run);
        assertThat(read.prompts()).hasSameSizeAs(FIRST.prompts());
        assertOneCompleteReport(run, FIRST);
    }

    @Test
    void twoRunsWritingTheSameRunIdLeaveOneCompleteReport() throws Exception {
        Path run = dir.resolve("run");
        ResultFiles.write(run, FIRST);
        for (int round = 0; round < 6; round++) {
            CyclicBarrier start = new CyclicBarrier(2);
            List<Throwable> failures = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (RunResults results : List.of(FIRST, SECOND)) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        ResultFiles.write(run, results);
                    } catch (SdsatException e) {
                        // a clear refusal is allowed: the other run's report stands
                        assertThat(e.getMessage()).contains(run.toAbsolutePath().toString());
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures)
                    .as("round %d: only SdsatException may end a write", round)
                    .isEmpty();
            JsonNode json = ResultFiles.mapper()
                    .readTree(run.resolve(ResultFiles.RESULTS_JSON).toFile());
            RunResults winner = json.get("prompts").size() == FIRST.prompts().size() ? FIRST : SECOND;
            assertOneCompleteReport(run, winner);
            try (Stream<Path> left = Files.list(dir)) {
                assertThat(left.map(p -> p.getFileName().toString()))
                        .as("round %d: folders left beside the report", round)
                        .containsExactly("run");
            }
        }
    }

    /** results.json, index.html and results.csv all present and from the same run. */
    private static void assertOneCompleteReport(Path run, RunResults expected) throws IOException {
        JsonNode json = ResultFiles.mapper()
                .readTree(run.resolve(ResultFiles.RESULTS_JSON).toFile());
        assertThat(json.get("prompts").size())
                .as("results.json's run")
                .isEqualTo(expected.prompts().size());
        assertThat(json.get("config").get("shard").asText())
                .isEqualTo(expected.config().get("shard"));
        String html = Files.readString(run.resolve(ResultFiles.INDEX_HTML));
        Matcher header = Pattern.compile("<span>(\\d+) prompt runs</span>").matcher(html);
        assertThat(header.find()).isTrue();
        assertThat(Integer.parseInt(header.group(1)))
                .as("index.html from the same run as results.json")
                .isEqualTo(expected.prompts().size());
        assertThat(html).contains("<dt>shard</dt><dd>" + expected.config().get("shard") + "</dd>");
        assertThat(Files.readAllLines(run.resolve(ResultFiles.RESULTS_CSV)))
                .as("results.csv from the same run")
                .hasSize(expected.rows().size() + 1);
    }
}
