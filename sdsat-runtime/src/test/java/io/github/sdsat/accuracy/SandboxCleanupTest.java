package io.github.sdsat.accuracy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SandboxCleanupTest {
    private static final Path CWD = Path.of("").toAbsolutePath();

    @Test
    void processesInFindsTheProcessesWorkingInTheFolderOrBelow() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        long self = ProcessHandle.current().pid();
        assertThat(SandboxCleanup.processesIn(CWD)).contains(self);
        assertThat(SandboxCleanup.processesIn(CWD.getParent())).contains(self);
    }

    @Test
    void aFolderWhoseNameIsAPrefixOfTheWorkingFolderDoesNotHoldIt() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        String name = CWD.getFileName().toString();
        assumeTrue(name.length() > 1, "needs a working folder name of 2+ characters");
        // A sibling sandbox sdsat-sandbox-1 must not claim the processes of sdsat-sandbox-12.
        Path prefix = CWD.resolveSibling(name.substring(0, name.length() - 1));
        assertThat(SandboxCleanup.processesIn(prefix))
                .doesNotContain(ProcessHandle.current().pid());
    }
}
