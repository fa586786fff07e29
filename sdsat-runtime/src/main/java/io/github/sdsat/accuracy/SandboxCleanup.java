package io.github.sdsat.accuracy;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What {@link PythonSandbox} leaves behind, removed: every process a program started (its PID namespace, or its
 * process group and known descendants) and the program's folder, whatever permissions the program gave its contents.
 */
final class SandboxCleanup {

    private SandboxCleanup() {}

    /**
     * Kills the program, its process group and every descendant still known ({@code pidNamespace}: whether it runs
     * as a PID namespace's init). With a PID namespace, killing the
     * namespace's init (the interpreter, the first descendant) makes the kernel kill everything in it; without one,
     * the runner made its own process group, and {@code kill -KILL -pgid} reaches children that left the tree.
     *
     * <p>Returns once no process works in {@code folder} (every program process does: it is their working folder),
     * for at most {@link #GONE_WAIT_MS}: the kernel ends a dead namespace's processes asynchronously, so after a fork
     * bomb they can outlive the interpreter by some milliseconds; any still found there are killed by pid.
     */
    static void killAll(Process process, boolean pidNamespace, Path folder) {
        // Children first: under unshare the only child is the namespace's init, whose death ends the namespace.
        process.children().forEach(ProcessHandle::destroyForcibly);
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!pidNamespace) {
            killProcessGroup(process.pid());
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GONE_WAIT_MS);
            for (List<Long> left = processesIn(folder); !left.isEmpty(); left = processesIn(folder)) {
                if (System.nanoTime() > deadline) {
                    return; // the folder's deletion still runs; nothing more this JVM can do
                }
                left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long {@link #killAll} waits for the program's processes to be gone. */
    static final long GONE_WAIT_MS = 5_000;

    /** The pids whose working folder ({@code /proc/<pid>/cwd}) is {@code folder} or below it; empty without /proc. */
    static List<Long> processesIn(Path folder) {
        // Path.startsWith compares whole names: sdsat-sandbox-12 is not inside sdsat-sandbox-1 (a sibling's folder).
        Path root = folder.toAbsolutePath();
        List<Long> found = new ArrayList<>();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            processes
                    .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .forEach(p -> {
                        try {
                            if (Files.readSymbolicLink(p.resolve("cwd")).startsWith(root)) {
                                found.add(Long.parseLong(p.getFileName().toString()));
                            }
                        } catch (IOException | SecurityException e) {
                            // ended meanwhile, or not ours to read
                        }
                    });
        } catch (IOException e) {
            // no /proc: the kills above are all there is
        }
        return found;
    }

    private static void killProcessGroup(long group) {
        // Only while some process is still in the group: an empty group's number may be a new process's pid.
        if (!groupHasMembers(group)) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + group)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            kill.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // No kill command: the descendants found were killed one by one already.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether any process's group id (field 5 of {@code /proc/<pid>/stat}) is {@code group}. */
    private static boolean groupHasMembers(long group) {
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            return processes
                    .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .anyMatch(p -> {
                        try {
                            String stat = Files.readString(p.resolve("stat"));
                            String[] fields =
                                    stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            return Long.parseLong(fields[2]) == group;
                        } catch (IOException | RuntimeException e) {
                            return false; // the process ended meanwhile
                        }
                    });
        } catch (IOException e) {
            return true; // no /proc to ask: kill the group, as on a system without it nothing else can be checked
        }
    }

    /** Removes the folder and whatever the program left in it, making read-only folders writable first. */
    static void deleteFolder(Path folder) {
        for (int attempt = 0; attempt < 2 && Files.exists(folder); attempt++) {
            try (Stream<Path> walk = Files.walk(folder)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    try {
                        Files.deleteIfExists(path);
                    } catch (AccessDeniedException | java.nio.file.DirectoryNotEmptyException e) {
                        // Retried after the permissions are repaired below.
                    }
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                // A folder the walk cannot enter: repaired below, then walked again.
            }
            if (Files.exists(folder)) {
                try (Stream<Path> walk = Files.walk(folder)) {
                    walk.filter(Files::isDirectory).forEach(SandboxCleanup::makeOwnerWritable);
                } catch (IOException | java.io.UncheckedIOException e) {
                    makeOwnerWritable(folder);
                }
            }
        }
    }

    private static void makeOwnerWritable(Path directory) {
        try {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            // Nothing more to try; the folder stays in the temporary folder.
        }
    }
}
