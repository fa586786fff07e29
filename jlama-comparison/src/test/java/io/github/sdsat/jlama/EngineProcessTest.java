package io.github.sdsat.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.widen.WidenCheckpoint;
import io.github.sdsat.widen.Widening;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both engines on a small BF16 folder written like the 7B-shaped one (a widening of the embedded model, BF16, in
 * shards with an index): Jlama keeps the weights in BF16, both emit the requested tokens, and their greedy ids agree.
 */
class EngineProcessTest {
    @TempDir
    static Path temp;

    private static Path folder;

    @BeforeAll
    static void writeBf16Folder() {
        DjlOffline.enable();
        folder = temp.resolve("sdsat-512-bf16");
        // hidden 512 = 2 x 256, intermediate 2 x 688, 4 layers, 8 heads of 64: 34 MB, three shards.
        WidenCheckpoint.run(new WidenCheckpoint.Request(
                "sdsat", folder, new Widening.Shape(512, 1376, 4, 8, 8, 64), SafetensorsDtype.BF16, 15_000_000));
    }

    @Test
    void jlamaKeepsBf16AndBothEnginesAgree() {
        // Jlama fixes its thread count once per JVM, and another test of this JVM may have started it already.
        int threads = PhysicalCoreExecutor.instance.get().getCoreCount();
        SideBySideOptions options = SideBySideOptions.parse(
                "--model",
                folder.toString(),
                "--tokens",
                "12",
                "--warmup",
                "1",
                "--warmup-tokens",
                "4",
                "--runs",
                "2",
                "--threads",
                Integer.toString(threads));
        EngineProcess.Result jlama = EngineProcess.runJlama(options);
        EngineProcess.Result ar = EngineProcess.runOurs(options);

        assertThat(jlama.dataTypes()).contains("weights BF16", "matmul inputs BF16");
        assertThat(jlama.backend()).contains("Panama", threads + " threads");
        assertThat(ar.backend()).contains("bfloat16");
        for (EngineProcess.Result r : java.util.List.of(jlama, ar)) {
            assertThat(r.timings())
                    .hasSize(2)
                    .allSatisfy(t -> assertThat(t.newTokens()).isEqualTo(12));
            assertThat(r.ids()).hasSize(12);
            assertThat(r.idsStable()).isTrue();
            assertThat(r.promptIds()[0]).as("BOS first").isZero();
        }
        assertThat(jlama.promptIds()).containsExactly(ar.promptIds());
        assertThat(jlama.jlamaEncodingSame()).isTrue();
        assertThat(SideBySideReport.IdAgreement.of(jlama.ids(), ar.ids()).describe())
                .startsWith("identical");

        Path file = temp.resolve("round-1-jlama.json");
        EngineProcess.write(jlama, file);
        EngineProcess.Result back = EngineProcess.read(file);
        assertThat(back.ids()).containsExactly(jlama.ids());
        assertThat(back.timings()).isEqualTo(jlama.timings());
        assertThat(back.memory()).isEqualTo(jlama.memory());
    }
}
