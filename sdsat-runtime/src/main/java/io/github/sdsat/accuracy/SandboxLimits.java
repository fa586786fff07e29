package io.github.sdsat.accuracy;

import java.time.Duration;
import java.util.Objects;

/**
 * What one sandboxed program may use.
 *
 * @param timeout wall-clock time from start to end, after which the program and every process it started are killed
 * @param cpuSeconds CPU time of the program process ({@code RLIMIT_CPU}); the kernel kills it beyond that
 * @param memoryBytes address space of each process ({@code RLIMIT_AS}); allocation beyond fails with MemoryError
 * @param fileBytes largest file a process may write ({@code RLIMIT_FSIZE}), its captured output included: printing
 *     more kills it with SIGXFSZ
 * @param processes processes of the sandbox user ({@code RLIMIT_NPROC}), the bound on a fork bomb
 * @param outputChars characters of the captured output kept for the report
 */
public record SandboxLimits(
        Duration timeout, int cpuSeconds, long memoryBytes, long fileBytes, int processes, int outputChars) {

    /** HumanEval's tests take milliseconds; 3 s leaves room for a loaded machine. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);

    public SandboxLimits {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("Sandbox timeout " + timeout + " must be positive, e.g. 3 s");
        }
        if (cpuSeconds < 1 || memoryBytes < 64L << 20 || fileBytes < 1024 || processes < 1 || outputChars < 0) {
            throw new IllegalArgumentException("Sandbox limits " + cpuSeconds + " CPU s, " + memoryBytes
                    + " bytes of memory, " + fileBytes + " bytes per file, " + processes + " processes, "
                    + outputChars + " output characters: give at least 1 s, 64 MiB, 1 KiB, 1 process and 0 characters");
        }
    }

    /**
     * The defaults with the given wall-clock timeout: CPU time the timeout rounded up plus one second, 512 MiB of
     * address space, 1 MiB per file, 32 processes, 4000 characters of output kept.
     */
    public static SandboxLimits withTimeout(Duration timeout) {
        long cpu = Math.max(1, (timeout.toMillis() + 999) / 1000 + 1);
        return new SandboxLimits(timeout, (int) Math.min(Integer.MAX_VALUE, cpu), 512L << 20, 1L << 20, 32, 4000);
    }

    /** {@link #withTimeout} of {@link #DEFAULT_TIMEOUT}. */
    public static SandboxLimits defaults() {
        return withTimeout(DEFAULT_TIMEOUT);
    }
}
