package io.github.sdsat.accuracy;

import io.github.sdsat.SdsatException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How {@link PythonSandbox#detect} learns what this machine offers, by running small probes before any program: where
 * the interpreter is, its version and real executable, whether this process is root, and whether {@code unshare} can
 * give a program its own network and PID namespaces.
 */
final class PythonProbes {

    private PythonProbes() {}

    /** The interpreter's path: {@code command} itself when it names a file, else the first match on the PATH. */
    static Path locate(String command) {
        if (command.contains(File.separator)) {
            Path path = Path.of(command);
            if (!Files.isExecutable(path)) {
                throw missing(command, "the file " + path.toAbsolutePath() + " does not exist or is not executable");
            }
            return path;
        }
        String pathVariable = Objects.requireNonNullElse(System.getenv("PATH"), "");
        for (String directory : pathVariable.split(File.pathSeparator)) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw missing(command, "it is not on the PATH (" + pathVariable + ")");
    }

    static SdsatException missing(String command, String why) {
        return new SdsatException("The accuracy stage needs Python 3 to run HumanEval's tests, but " + command
                + " cannot be found: " + why + ". Install python3 (3.8 or later) or give its path with"
                + " -Dsdsat.python=PATH; without -Dsdsat.accuracy=true the reproduction runs without it");
    }

    record Probe(Path executable, String version, boolean root) {}

    /**
     * Runs the interpreter once with the caller's environment (version managers such as pyenv need theirs) to learn
     * its version, its real executable (behind a shim) and whether this process is root.
     */
    static Probe probe(Path interpreter, String command) {
        String script = "import os, sys; print(sys.version_info[0], sys.version_info[1], sys.version.split()[0],"
                + " int(os.geteuid() == 0)); print(sys.executable)";
        ProcessOutcome outcome = runQuietly(List.of(interpreter.toString(), "-I", "-c", script), 30);
        String[] lines = outcome.output().strip().split("\n");
        if (outcome.status() != 0 || lines.length < 2) {
            throw missing(
                    command, interpreter + " does not run (" + PythonSandbox.lastLines(outcome.output(), 3) + ")");
        }
        String[] fields = lines[lines.length - 2].strip().split(" ");
        int major = Integer.parseInt(fields[0]);
        int minor = Integer.parseInt(fields[1]);
        if (major != 3 || minor < 8) {
            throw missing(
                    command,
                    interpreter + " is Python " + fields[2] + "; the sandbox needs 3.8 or later" + " (audit hooks)");
        }
        Path executable = Path.of(lines[lines.length - 1].strip());
        return new Probe(Files.isExecutable(executable) ? executable : interpreter, fields[2], fields[3].equals("1"));
    }

    /** {@code unshare --net --pid --fork --kill-child} when a program can run under it here, else nothing. */
    static List<String> namespacePrefix(Path python) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return List.of();
        }
        List<String> prefix = List.of("unshare", "--net", "--pid", "--fork", "--kill-child");
        List<String> probe = new ArrayList<>(prefix);
        probe.addAll(List.of(python.toString(), "-I", "-c", "import os; print(os.getpid())"));
        ProcessOutcome outcome = runQuietly(probe, 30);
        // The program is the namespace's init: pid 1 proves the PID namespace (and that --net was accepted).
        return outcome.status() == 0 && outcome.output().strip().equals("1") ? prefix : List.of();
    }

    private record ProcessOutcome(int status, String output) {}

    private static ProcessOutcome runQuietly(List<String> command, int timeoutSeconds) {
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            byte[] out = process.getInputStream().readNBytes(64 * 1024);
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new ProcessOutcome(-1, "no answer within " + timeoutSeconds + " s");
            }
            return new ProcessOutcome(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new ProcessOutcome(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ProcessOutcome(-1, "interrupted");
        }
    }
}
