package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.report.ShardFolders;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.Shard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI fan-out of docs/ci/reproduce-sharded.yml in one JVM: each shard runs as on its own runner (its own reports
 * folder), the shard folders are gathered into one folder as the workflow's artifact download does, and
 * {@code sdsat:merge}'s merge of them must equal an unsharded run prompt for prompt, timings aside (greedy and
 * sampled rows: a task's seed does not depend on the shard layout).
 */
class SeparateShardsMergeTest {
    @TempDir
    static Path shared;

    static Path model;

    /** Fields that are clock readings (or derived from them), which no two runs share. */
    private static final String[] TIMING = {
        "timeMs", "prefillMs", "tokensPerSecond", "modelledDecodeMs", "modelledArDecodeMs"
    };

    @BeforeAll
    static void model() {
        DjlOffline.enable();
        model = TinyModelFolder.write(shared.resolve("tiny"), 11);
    }

    private static ReproductionConfig.Builder settings(Path reports) {
        return ReproductionConfig.builder()
                .model(model)
                .device("cpu")
                .dtype("auto")
                .datasets(List.of("humaneval", "infilling"))
                .dataLimit(ReproductionRunTest.TWO_PROMPTS)
                .kList(List.of(2))
                .decoders(List.of("sdsat", "lookup"))
                .temperatures(List.of(0.0, 1.0))
                .samplingDecoders(List.of("sdsat-tree"))
                .samplingKList(List.of(5))
                .samplingModes(List.of(SamplingMode.LOSSLESS))
                .maxNewTokens(12)
                .infillMaxNewTokens(8)
                .seed(99)
                .warmup(0)
                .outputDirectory(reports)
                .runId("fanout");
    }

    @Test
    void shardsRunOnSeparateRunnersMergeIntoTheUnshardedRun(@TempDir Path dir) throws IOException {
        RunResults whole = ReproductionRun.run(settings(dir.resolve("whole")).build(), null)
                .results();

        Path gathered = dir.resolve("gathered");
        Files.createDirectories(gathered);
        for (int i = 0; i < 2; i++) {
            Path runner = dir.resolve("runner-" + i);
            ReproductionRun.Outcome shard =
                    ReproductionRun.run(settings(runner).shard(new Shard(i, 2)).build(), null);
            // actions/download-artifact puts each shard's folder side by side
            copyTree(shard.runDir(), gathered.resolve(shard.runDir().getFileName()));
        }
        RunResults merged = ShardFolders.mergeRun(gathered, "fanout");

        assertThat(merged.prompts()).hasSize(whole.prompts().size()).hasSizeGreaterThanOrEqualTo(4 * 4);
        assertThat(merged.prompts())
                .usingRecursiveFieldByFieldElementComparatorIgnoringFields(TIMING)
                .containsExactlyInAnyOrderElementsOf(whole.prompts());
        assertThat(merged.prompts().stream().filter(p -> p.temperature() > 0).count())
                .as("sampled rows are part of the comparison")
                .isPositive();
        assertThat(merged.prompts())
                .extracting(PromptRecord::taskId)
                .containsAll(whole.prompts().stream()
                        .map(PromptRecord::taskId)
                        .distinct()
                        .toList());
        assertThat(merged.config()).containsEntry("shards", List.of("0/2", "1/2"));
        // Each shard gated its own prompts; the merged run keeps every verdict, named by its shard: the lossless gate
        // of each greedy speculative row (2 datasets x 2 decoders) from each of the 2 shards.
        assertThat(merged.gates())
                .hasSize(2 * whole.gates().size())
                .hasSize(8)
                .allSatisfy(g -> assertThat(g.group()).isEqualTo("lossless"));
        assertThat(merged.gates())
                .filteredOn(g -> g.name().endsWith("[shard 0/2 (#1)]"))
                .hasSize(4);
        assertThat(merged.gates())
                .filteredOn(g -> g.name().endsWith("[shard 1/2 (#2)]"))
                .hasSize(4);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
