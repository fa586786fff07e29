package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HugePagesTest {

    @Test
    void kernelModeIsTheBracketedWord(@TempDir Path dir) throws Exception {
        Path setting = dir.resolve("enabled");
        Files.writeString(setting, "always [madvise] never\n");
        assertThat(HugePages.kernelMode(setting)).isEqualTo("madvise");
        Files.writeString(setting, "[always] madvise never\n");
        assertThat(HugePages.kernelMode(setting)).isEqualTo("always");
        Files.writeString(setting, "garbage\n");
        assertThat(HugePages.kernelMode(setting)).isNull();
        assertThat(HugePages.kernelMode(dir.resolve("missing"))).isNull();
    }

    @Test
    void hugePagesNeedAlwaysOrMadviseWithTheFlag() {
        assertThat(new HugePages("always", false).heapOnHugePages()).isTrue();
        assertThat(new HugePages("madvise", true).heapOnHugePages()).isTrue();
        assertThat(new HugePages("madvise", false).heapOnHugePages()).isFalse();
        assertThat(new HugePages("madvise", false).flagWouldHelp()).isTrue();
        assertThat(new HugePages("never", true).heapOnHugePages()).isFalse();
        assertThat(new HugePages("never", false).flagWouldHelp()).isFalse();
        assertThat(new HugePages(null, false).flagWouldHelp()).isFalse();
    }

    @Test
    void thisJvmReportsWhatItWasStartedWith() {
        HugePages here = HugePages.detect();
        boolean flagGiven = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.equals(HugePages.JVM_FLAG));
        assertThat(here.jvmRequests()).isEqualTo(flagGiven);
    }
}
