package io.github.sdsat.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.util.Ec2Utils;
import ai.djl.util.Utils;
import java.lang.reflect.Field;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The goals switch DJL offline themselves: this test runs (in its own Surefire execution) in a JVM started
 * without {@code DJL_OFFLINE}, {@code OPT_OUT_TRACKING} or {@code -Dai.djl.offline}, runs {@code sdsat:generate},
 * and checks that when the PyTorch engine started, DJL was offline and skipped its telemetry call.
 */
class OfflineSwitchTest {

    @Test
    void generateStartsTheEngineOfflineWithoutTelemetry(@TempDir Path temp) throws Exception {
        // Only meaningful in the clean JVM of the pom's offline-switch execution (e.g. -Dtest=... also selects it
        // in the default execution, whose environment turns DJL offline from outside).
        assumeTrue(Boolean.getBoolean("sdsat.offlineSwitchJvm"), "runs in the offline-switch execution only");
        assertThat(System.getenv("DJL_OFFLINE"))
                .as("precondition: no DJL_OFFLINE from outside")
                .isNull();
        assertThat(System.getenv("OPT_OUT_TRACKING"))
                .as("precondition: no OPT_OUT_TRACKING")
                .isNull();
        assertThat(System.getProperty("ai.djl.offline"))
                .as("precondition: no -Dai.djl.offline")
                .isNull();
        assertThat(Utils.isOfflineMode())
                .as("precondition: DJL online before the goal runs")
                .isFalse();

        GenerateMojo mojo = new GenerateMojo();
        mojo.model = ItModelFolderTest.COMMITTED.toString();
        mojo.device = "cpu";
        mojo.dtype = "auto";
        mojo.prompt = "def add(a, b):";
        mojo.decoder = "ar";
        mojo.k = 1;
        mojo.topP = 1.0;
        mojo.sampling = "lossless";
        mojo.maxNewTokens = 4;
        mojo.statsFile = temp.resolve("stats.json").toFile();
        mojo.execute();

        assertThat(Engine.getEngine("PyTorch")).isNotNull();
        assertThat(Utils.isOfflineMode()).isTrue();
        assertThat(Boolean.parseBoolean(Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING")))
                .isTrue();
        // Ec2Utils.callHome, run when the PyTorch engine is created, sets lastCheckIn only when it goes on to
        // contact the telemetry endpoint; 0 proves it returned at its offline/opt-out check.
        Field lastCheckIn = Ec2Utils.class.getDeclaredField("lastCheckIn");
        lastCheckIn.setAccessible(true);
        assertThat(lastCheckIn.getLong(null)).isZero();
        assertThat(temp.resolve("stats.json")).isRegularFile();
    }
}
