package io.github.sdsat.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.model.LlamaConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SideBySideReportTest {
    private static final ProcessMemory MEMORY = new ProcessMemory(2_000_000, 1_900_000, 900_000, 1_000_000);

    /** A process result whose timed runs decode {@code n - 1} tokens in {@code decodeMs} each. */
    private static EngineProcess.Result result(String engine, long[] ids, long... decodeMs) {
        List<EngineSummary.Timing> timings = java.util.Arrays.stream(decodeMs)
                .mapToObj(ms -> new EngineSummary.Timing(ids.length, 1_000_000, ms * 1_000_000, (ms + 1) * 1_000_000))
                .toList();
        return new EngineProcess.Result(
                engine,
                engine + " kernels",
                "types",
                2,
                1.5,
                new long[] {0, 5, 9},
                null,
                timings,
                ids,
                true,
                MEMORY,
                1L << 30);
    }

    @Test
    void roundsAlternateWhichEngineRunsFirst() {
        assertThat(SideBySideReport.order(0)).containsExactly("jlama", "ar");
        assertThat(SideBySideReport.order(1)).containsExactly("ar", "jlama");
        assertThat(SideBySideReport.order(2)).containsExactly("jlama", "ar");
    }

    @Test
    void reportsTheFirstDivergenceWithBothTokens() {
        SideBySideReport.IdAgreement same = SideBySideReport.IdAgreement.of(new long[] {4, 5, 6}, new long[] {4, 5, 6});
        assertThat(same.identical()).isTrue();
        assertThat(same.describe()).contains("identical", "3/3");

        SideBySideReport.IdAgreement differ =
                SideBySideReport.IdAgreement.of(new long[] {4, 5, 6, 7}, new long[] {4, 5, 8, 7});
        assertThat(differ.identical()).isFalse();
        assertThat(differ.firstDivergence()).isEqualTo(2);
        assertThat(differ.jlamaToken()).isEqualTo(6);
        assertThat(differ.arToken()).isEqualTo(8);
        assertThat(differ.describe()).contains("first 2 of 4", "Jlama 6 vs ar 8");
    }

    @Test
    void mediansOverEveryTimedRunOfEveryProcessAndTheTarget() {
        long[] ids = {1, 2, 3, 4, 5};
        // Jlama decodes 4 tokens in 1000, 2000, 4000 ms: median 2 tok/s; ar in 1000, 1000, 500 ms: median 4 tok/s.
        List<EngineProcess.Result> jlama = List.of(result("jlama", ids, 1000, 2000), result("jlama", ids, 4000));
        List<EngineProcess.Result> ar = List.of(result("ar", ids, 1000), result("ar", ids, 1000, 500));
        SideBySideReport.Comparison c = SideBySideReport.Comparison.of(jlama, ar);

        assertThat(c.jlama().summary().prompts()).isEqualTo(3);
        assertThat(c.jlama().summary().decodeMedian()).isEqualTo(2.0);
        assertThat(c.ar().summary().decodeMedian()).isEqualTo(4.0);
        assertThat(c.decodeRatio()).isEqualTo(2.0);
        assertThat(c.jlama().idsSameInEveryRun()).isTrue();
        assertThat(c.jlama().largestPeak()).isEqualTo(MEMORY);
        String md = SideBySideReport.markdown(c, Map.of());
        assertThat(md).contains("decode 2.00x", "Target ar >= 1.3x Jlama's decode tokens/s: met", "identical");

        // The other way round the target is missed.
        SideBySideReport.Comparison slower = SideBySideReport.Comparison.of(ar, jlama);
        assertThat(SideBySideReport.markdown(slower, Map.of())).contains("decode 0.50x", "missed");
    }

    @Test
    void noticesIdsThatChangeBetweenProcessesAndRefusesDifferentPrompts() {
        List<EngineProcess.Result> jlama =
                List.of(result("jlama", new long[] {1, 2, 3}, 100), result("jlama", new long[] {1, 2, 4}, 100));
        List<EngineProcess.Result> ar = List.of(result("ar", new long[] {1, 2, 3}, 100));
        assertThat(SideBySideReport.Comparison.of(jlama, ar).jlama().idsSameInEveryRun())
                .isFalse();

        EngineProcess.Result otherPrompt = new EngineProcess.Result(
                "ar",
                "k",
                "t",
                2,
                1,
                new long[] {0, 5},
                null,
                ar.get(0).timings(),
                new long[] {1, 2, 3},
                true,
                MEMORY,
                1);
        assertThatThrownBy(() -> SideBySideReport.Comparison.of(jlama, List.of(otherPrompt)))
                .hasMessageContaining("different prompt ids");
    }

    @Test
    void readsTheKernelsMemoryFields() {
        ProcessMemory m = ProcessMemory.parse(List.of(
                "Name:\tjava",
                "VmHWM:\t 14021344 kB",
                "VmRSS:\t 13900000 kB",
                "RssAnon:\t  800000 kB",
                "RssFile:\t13100000 kB"));
        assertThat(m).isEqualTo(new ProcessMemory(14_021_344, 13_900_000, 800_000, 13_100_000));
        assertThat(m.describe()).contains("14.36 GB peak", "13.41 GB file-backed");
        assertThat(ProcessMemory.parse(List.of("Name:\tjava")).peakKb()).isEqualTo(-1);
    }

    @Test
    void heapsForThe7bShapedWidening() {
        // /work/models/sdsat-7b-shape: 7 shards, 13,019,685,840 bytes; 32 layers of 4096; a short prompt + 32 tokens.
        LlamaConfig c = new LlamaConfig(
                4096, 11008, 32, 32, 32, 128, 4096, 1e-5, 10000, 1024, false, 0, List.of(1), "bfloat16");
        assertThat(Bf16SideBySide.arHeapGiB(13_019_685_840L, c, 46)).isEqualTo(15);
        assertThat(Bf16SideBySide.jlamaHeapGiB(c, 46)).isEqualTo(3);
    }

    @Test
    void childCommandCarriesTheModuleHeapThreadsAndTheUsersOptions() {
        String[] args = {"--model", "/m", "--threads", "2", "--tokens", "8"};
        List<String> cmd = Bf16SideBySide.childCommand("jlama", 3, 40, Path.of("/tmp/r.json"), args);
        assertThat(cmd.get(0)).endsWith("/bin/java");
        assertThat(cmd)
                .contains(
                        "-Xmx3g",
                        "-XX:+UseTransparentHugePages",
                        "jdk.incubator.vector",
                        "-Djlama.force_panama_tensor_operations=true",
                        "-Dsdsat.cpuThreads=2",
                        "-Dsdsat.kvCacheTokens=40",
                        EngineProcess.class.getName());
        assertThat(cmd.subList(cmd.size() - 10, cmd.size()))
                .containsExactly(
                        "--engine",
                        "jlama",
                        "--result",
                        "/tmp/r.json",
                        "--model",
                        "/m",
                        "--threads",
                        "2",
                        "--tokens",
                        "8");
    }
}
