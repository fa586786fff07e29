package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * What a user on this CPU-only machine sees when asking for the GPU path: the network stays closed unless
 * {@code sdsat.allowDownloads} opens it (telemetry off either way), and asking for a GPU names the switches that
 * give DJL a CUDA libtorch.
 */
class GpuPathOnCpuTest {

    @Test
    void downloadsStayOffUnlessExplicitlyAllowedAndTelemetryIsAlwaysOff() {
        String before = System.getProperty(DjlOffline.OFFLINE_PROPERTY);
        try {
            System.clearProperty(DjlOffline.ALLOW_DOWNLOADS);
            DjlOffline.enable();
            assertThat(System.getProperty(DjlOffline.OFFLINE_PROPERTY)).isEqualTo("true");
            assertThat(System.getProperty(DjlOffline.OPT_OUT_TRACKING)).isEqualTo("true");

            System.setProperty(DjlOffline.ALLOW_DOWNLOADS, "true");
            DjlOffline.enable();
            assertThat(System.getProperty(DjlOffline.OFFLINE_PROPERTY)).isNull();
            assertThat(System.getProperty(DjlOffline.OPT_OUT_TRACKING)).isEqualTo("true");
        } finally {
            System.clearProperty(DjlOffline.ALLOW_DOWNLOADS);
            if (before == null) {
                System.clearProperty(DjlOffline.OFFLINE_PROPERTY);
            } else {
                System.setProperty(DjlOffline.OFFLINE_PROPERTY, before);
            }
            DjlOffline.enable();
        }
    }

    @Test
    void askingForAGpuOnTheCpuBuildNamesTheWayToTheCudaBuild() {
        DjlOffline.enable();
        assertThatThrownBy(() -> DeviceChoice.resolve("gpu", "auto"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sees 0 GPU")
                .hasMessageContaining("-Dsdsat.cuda -Dsdsat.allowDownloads=true")
                .hasMessageContaining("PYTORCH_LIBRARY_PATH");
    }
}
