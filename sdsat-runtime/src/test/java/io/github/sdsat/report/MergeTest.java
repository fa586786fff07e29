package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.RunResults;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeTest {

    @TempDir
    Path folder;

    @Test
    void mergedShardsEqualTheWholeRun() {
        RunResults whole = SampleRuns.run(null, List.of(0, 1, 2, 3, 4));
        RunResults shard0 = SampleRuns.run("0/2", List.of(0, 2, 4));
        RunResults shard1 = SampleRuns.run("1/2", List.of(1, 3));
        // Through the files, as sdsat:merge does.
        ResultFiles.write(folder.resolve("s0"), shard0);
        ResultFiles.write(folder.resolve("s1"), shard1);
        RunResults merged =
                Merge.merge(List.of(ResultFiles.read(folder.resolve("s1")), ResultFiles.read(folder.resolve("s0"))));

        assertThat(merged.rows()).usingRecursiveComparison().isEqualTo(whole.rows());
        assertThat(merged.prompts()).hasSameSizeAs(whole.prompts());
        assertThat(merged.prompts().get(0).taskId()).isEqualTo("HumanEval/0");
        assertThat(merged.prompts().get(1).taskId()).isEqualTo("HumanEval/1");
        assertThat(merged.config()).doesNotContainKey("shard").containsEntry("shards", List.of("1/2", "0/2"));
        assertThat(merged.environment()).isEqualTo(whole.environment());
    }

    @Test
    void shardsWithDifferentConfigAreRefusedNamingTheKey() {
        RunResults shard0 = SampleRuns.run("0/2", List.of(0));
        Map<String, Object> config = new LinkedHashMap<>(SampleRuns.config("1/2"));
        config.put("maxNewTokens", 256);
        RunResults shard1 = RunResults.of(config, SampleRuns.environment(), SampleRuns.records(List.of(1)));
        assertThatThrownBy(() -> Merge.merge(List.of(shard0, shard1)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("config.maxNewTokens")
                .hasMessageContaining("256")
                .hasMessageContaining("512");

        Map<String, Object> missing = new LinkedHashMap<>(SampleRuns.config("1/2"));
        missing.remove("seed");
        RunResults shard2 = RunResults.of(missing, SampleRuns.environment(), SampleRuns.records(List.of(1)));
        assertThatThrownBy(() -> Merge.merge(List.of(shard0, shard2)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("config.seed")
                .hasMessageContaining("absent");
    }

    @Test
    void numbersOfDifferentJavaTypesButEqualValueDoNotCountAsDifferent() {
        RunResults shard0 = SampleRuns.run("0/2", List.of(0));
        Map<String, Object> config = new LinkedHashMap<>(SampleRuns.config("1/2"));
        config.put("maxNewTokens", 512L);
        config.put("dataLimit", java.math.BigDecimal.valueOf(0.5));
        RunResults shard1 = RunResults.of(config, SampleRuns.environment(), SampleRuns.records(List.of(1)));
        assertThat(Merge.merge(List.of(shard0, shard1)).prompts())
                .hasSize(2 * shard0.prompts().size());
    }

    @Test
    void shardsOfADifferentModelAreRefused() {
        RunResults shard0 = SampleRuns.run("0/2", List.of(0));
        Environment e = SampleRuns.environment();
        Environment otherModel = io.github.sdsat.Records.copyWith(e, Map.of("modelSha", "ffff0000"));
        RunResults shard1 = RunResults.of(SampleRuns.config("1/2"), otherModel, SampleRuns.records(List.of(1)));
        assertThatThrownBy(() -> Merge.merge(List.of(shard0, shard1)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("environment.modelSha")
                .hasMessageContaining("ffff0000");

        Environment otherDevice =
                io.github.sdsat.Records.copyWith(e, Map.of("device", "gpu(1)", "modelPath", "/elsewhere/same-model"));
        RunResults shard2 = RunResults.of(SampleRuns.config("1/2"), otherDevice, SampleRuns.records(List.of(1)));
        assertThat(Merge.merge(List.of(shard0, shard2)).rows()).isNotEmpty();

        Environment otherDtype = io.github.sdsat.Records.copyWith(e, Map.of("dtype", "float32"));
        RunResults shard3 = RunResults.of(SampleRuns.config("1/2"), otherDtype, SampleRuns.records(List.of(1)));
        assertThatThrownBy(() -> Merge.merge(List.of(shard0, shard3)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("environment.dtype");
    }

    @Test
    void duplicatePromptsAreRefused() {
        RunResults shard0 = SampleRuns.run("0/2", List.of(0, 2));
        RunResults shard1 = SampleRuns.run("1/2", List.of(1, 2));
        assertThatThrownBy(() -> Merge.merge(List.of(shard0, shard1)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("HumanEval/2")
                .hasMessageContaining("0/2")
                .hasMessageContaining("1/2");
        assertThatThrownBy(() -> Merge.merge(List.of(shard0, shard0)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("HumanEval/0");
        assertThatThrownBy(() -> Merge.merge(List.of()))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("No shard");
    }

    @Test
    void taskIdsSortNumerically() {
        assertThat(Merge.compareTaskIds("HumanEval/2", "HumanEval/10")).isNegative();
        assertThat(Merge.compareTaskIds("HumanEval/10", "HumanEval/10")).isZero();
        assertThat(Merge.compareTaskIds("a", "b")).isNegative();
    }
}
