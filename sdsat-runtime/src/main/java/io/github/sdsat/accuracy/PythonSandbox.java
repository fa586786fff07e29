package io.github.sdsat.accuracy;

import io.github.sdsat.SdsatException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs untrusted Python programs (model completions with a problem's tests), one separate {@code python3} process
 * per program, each in a fresh temporary folder that is removed afterwards.
 *
 * <p>Containment, from the hardest layer:
 * <ul>
 *   <li>where {@code unshare} can make namespaces (Linux, as root or with user namespaces): a new network namespace
 *       (no interface but a down loopback: no network at all) and a new PID namespace whose init is the program,
 *       so that when it ends or is killed the kernel kills every process it started;</li>
 *   <li>when the JVM runs as root: the program drops to the unprivileged user {@value #SANDBOX_UID} ({@code nobody})
 *       before it runs, so files outside the world-writable folders cannot be written and {@code RLIMIT_NPROC}
 *       (not enforced for root) bounds a fork bomb;</li>
 *   <li>resource limits ({@link SandboxLimits}): CPU time, address space, file size (the captured output is a file in
 *       the folder, so printing gigabytes ends with SIGXFSZ), processes, no core files;</li>
 *   <li>a wall-clock timeout, after which the program, its process group and every descendant are killed;</li>
 *   <li>an environment of {@code PATH}, {@code HOME} and {@code TMPDIR} (the folder) and {@code LC_ALL} only,
 *       {@code python3 -I} (no user site, no {@code PYTHON*} variables), stdin at end of file;</li>
 *   <li>an audit hook ({@code sandbox_runner.py}) refusing writes outside the folder, child programs, sockets and
 *       ctypes: the layer for what the kernel layers leave open ({@code /tmp} is world-writable; a machine without
 *       namespaces has a network). Audit hooks are not a security boundary on their own.</li>
 * </ul>
 *
 * <p>A program passes when it exits with status 0 after running to its end: the runner then prints a marker line.
 * A program that prints that marker itself and exits 0 with {@code os._exit} would be counted as passed; this grades
 * model completions, it is not built to resist code written to cheat it.
 */
public final class PythonSandbox {
    /** The unprivileged user and group ({@code nobody}/{@code nogroup}) programs run as when the JVM is root. */
    public static final int SANDBOX_UID = 65534;

    /** The default interpreter, looked up on the PATH. */
    public static final String DEFAULT_PYTHON = "python3";

    static final String RUNNER = "runner.py";
    static final String PROGRAM = "program.py";
    static final String OUTPUT = "output.txt";
    static final String PASS_MARKER = "__SDSAT_SANDBOX_PASSED__";
    private static final String RUNNER_RESOURCE = "sandbox_runner.py";
    /** Modules HumanEval's solutions and tests import; the unprivileged user must be able to load them. */
    private static final String SELF_CHECK =
            "import math, hashlib, re, collections, itertools, functools, string\n" + "assert math.gcd(12, 18) == 6\n";

    /** How one program ended. */
    public enum Verdict {
        /** Ran to its end with exit status 0. */
        PASSED,
        /** An exception, a failed assertion, a resource limit or a non-zero exit. */
        FAILED,
        /** Killed at the wall-clock timeout. */
        TIMED_OUT
    }

    /**
     * One program's result.
     *
     * @param verdict how it ended
     * @param exitStatus the process's exit status, -1 when killed at the timeout
     * @param output the head of stdout and stderr together (at most {@link SandboxLimits#outputChars()})
     * @param wallMs wall-clock time from start to end, ms
     */
    public record Execution(Verdict verdict, int exitStatus, String output, long wallMs) {
        public boolean passed() {
            return verdict == Verdict.PASSED;
        }
    }

    private final Path python;
    private final String version;
    private final SandboxLimits limits;
    private final Path folderRoot;
    private final boolean dropPrivileges;
    private final List<String> namespacePrefix;
    private final String networkIsolation;
    private final byte[] runnerSource;

    private PythonSandbox(
            Path python,
            String version,
            SandboxLimits limits,
            Path folderRoot,
            boolean dropPrivileges,
            List<String> namespacePrefix,
            String networkIsolation,
            byte[] runnerSource) {
        this.python = python;
        this.version = version;
        this.limits = limits;
        this.folderRoot = folderRoot;
        this.dropPrivileges = dropPrivileges;
        this.namespacePrefix = namespacePrefix;
        this.networkIsolation = networkIsolation;
        this.runnerSource = runnerSource;
    }

    /**
     * Finds the interpreter and decides the containment this machine allows, by running small probes: the
     * interpreter itself, then a program through the full sandbox (namespaces, unprivileged user). Call before any
     * expensive work: it fails fast when Python is missing.
     *
     * @param pythonCommand {@code python3} (looked up on the PATH; as root, {@code /usr/bin/python3} is tried too
     *     when the PATH's interpreter cannot be used by the unprivileged user) or a path to an interpreter
     * @param limits the limits of every program
     * @param folderRoot where the per-program folders are made; null for the system temporary folder
     * @throws SdsatException naming what is missing and the fix: no interpreter, one older than 3.8 (no audit hooks),
     *     or, as root, no interpreter the unprivileged user can run
     */
    public static PythonSandbox detect(String pythonCommand, SandboxLimits limits, Path folderRoot) {
        Objects.requireNonNull(limits, "limits");
        String command = pythonCommand == null || pythonCommand.isBlank() ? DEFAULT_PYTHON : pythonCommand.strip();
        Path root = folderRoot != null ? folderRoot : Path.of(System.getProperty("java.io.tmpdir"));
        byte[] runner = readRunner();
        Path found = locate(command);
        Probe probe = probe(found, command);
        List<String> namespaces = namespacePrefix(probe.executable());
        String isolation = namespaces.isEmpty()
                ? "none: `unshare --net --pid` is not available or not permitted here, so programs can reach the"
                        + " network (the audit hook refuses sockets, which is not a boundary)"
                : "network and PID namespaces (unshare --net --pid): no network, every process ended with the program";
        if (!probe.root()) {
            PythonSandbox sandbox = new PythonSandbox(
                    probe.executable(), probe.version(), limits, root, false, namespaces, isolation, runner);
            sandbox.selfCheck(command);
            return sandbox;
        }
        List<Path> candidates = new ArrayList<>(List.of(probe.executable()));
        Path system = Path.of("/usr/bin/python3");
        if (command.equals(DEFAULT_PYTHON) && Files.isExecutable(system) && !candidates.contains(system)) {
            candidates.add(system);
        }
        List<String> refusals = new ArrayList<>();
        for (Path candidate : candidates) {
            Probe candidateProbe =
                    candidate.equals(probe.executable()) ? probe : probe(candidate, candidate.toString());
            PythonSandbox sandbox = new PythonSandbox(
                    candidateProbe.executable(),
                    candidateProbe.version(),
                    limits,
                    root,
                    true,
                    namespaces,
                    isolation,
                    runner);
            Execution check = sandbox.run(SELF_CHECK);
            if (check.passed()) {
                return sandbox;
            }
            refusals.add(candidate + ": " + lastLines(check.output(), 3));
        }
        throw new SdsatException("The accuracy sandbox runs completions as the unprivileged user " + SANDBOX_UID
                + " (nobody) because this JVM runs as root, but no interpreter works for that user ("
                + String.join("; ", refusals) + "): give one installed outside /root with -Dsdsat.python=PATH"
                + " (e.g. /usr/bin/python3), or run Maven as a non-root user");
    }

    /** {@link #detect(String, SandboxLimits, Path)} in the system temporary folder. */
    public static PythonSandbox detect(String pythonCommand, SandboxLimits limits) {
        return detect(pythonCommand, limits, null);
    }

    /** The interpreter that runs the programs. */
    public Path python() {
        return python;
    }

    public SandboxLimits limits() {
        return limits;
    }

    /** Whether programs run without network (a network namespace). */
    public boolean networkIsolated() {
        return !namespacePrefix.isEmpty();
    }

    /** Whether programs run as the unprivileged user {@value #SANDBOX_UID}. */
    public boolean unprivileged() {
        return dropPrivileges;
    }

    /** The containment in words, for the report: interpreter, user, namespaces, limits. */
    public Map<String, Object> describe() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("python", python + " (" + version + ")");
        map.put("user", dropPrivileges ? "nobody (" + SANDBOX_UID + "), dropped from root" : "the JVM's user");
        map.put("isolation", networkIsolation);
        map.put("networkIsolated", networkIsolated());
        map.put("timeoutMs", limits.timeout().toMillis());
        map.put("cpuSeconds", limits.cpuSeconds());
        map.put("memoryBytes", limits.memoryBytes());
        map.put("fileBytes", limits.fileBytes());
        map.put("processes", limits.processes());
        return map;
    }

    /**
     * Runs one program in a fresh folder and removes the folder. Safe to call from several threads at once.
     *
     * @param program the Python source (e.g. prompt + completion + test + {@code check(entry_point)})
     * @return how it ended; the program's failure of any kind is a verdict, never an exception
     * @throws SdsatException only when the sandbox itself cannot work (no temporary folder, the process cannot start)
     */
    public Execution run(String program) {
        Path folder = createFolder();
        try {
            Files.write(folder.resolve(RUNNER), runnerSource);
            Files.writeString(folder.resolve(PROGRAM), program, StandardCharsets.UTF_8);
            Path output = folder.resolve(OUTPUT);
            Files.write(output, new byte[0]);
            if (dropPrivileges) {
                // The folder is the one place the unprivileged user may write.
                Files.setAttribute(folder, "unix:uid", SANDBOX_UID);
                Files.setAttribute(folder, "unix:gid", SANDBOX_UID);
            }
            return execute(folder, output);
        } catch (IOException e) {
            throw new SdsatException(
                    "The accuracy sandbox cannot prepare " + folder + ": " + e.getMessage()
                            + "; check that the temporary folder is writable",
                    e);
        } finally {
            deleteFolder(folder);
        }
    }

    private Execution execute(Path folder, Path output) throws IOException {
        List<String> command = new ArrayList<>(namespacePrefix);
        command.addAll(List.of(
                python.toString(),
                "-I",
                "-B",
                RUNNER,
                Integer.toString(limits.cpuSeconds()),
                Long.toString(limits.memoryBytes()),
                Long.toString(limits.fileBytes()),
                Integer.toString(limits.processes()),
                Integer.toString(dropPrivileges ? SANDBOX_UID : -1),
                Integer.toString(dropPrivileges ? SANDBOX_UID : -1)));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(folder.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        Map<String, String> environment = builder.environment();
        environment.clear();
        environment.put("PATH", "/usr/bin:/bin");
        environment.put("HOME", folder.toString());
        environment.put("TMPDIR", folder.toString());
        environment.put("LC_ALL", "C.UTF-8");
        long start = System.nanoTime();
        Process process = builder.start();
        boolean finished;
        try {
            finished = process.waitFor(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            killAll(process);
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while a sandboxed program ran", e);
        }
        long wallMs = (System.nanoTime() - start) / 1_000_000;
        // Children the program left behind (a background fork) end with it, whether it finished or not.
        killAll(process);
        String text = readHead(output, limits.outputChars());
        if (!finished) {
            return new Execution(Verdict.TIMED_OUT, -1, text, wallMs);
        }
        int status = process.exitValue();
        boolean passed = status == 0 && readHead(output, Integer.MAX_VALUE).contains("\n" + PASS_MARKER + "\n");
        return new Execution(passed ? Verdict.PASSED : Verdict.FAILED, status, text, wallMs);
    }

    /**
     * Kills the program, its process group and every descendant still known. With a PID namespace, killing the
     * namespace's init (the interpreter, the first descendant) makes the kernel kill everything in it; without one,
     * the runner made its own process group, and {@code kill -KILL -pgid} reaches children that left the tree.
     */
    private void killAll(Process process) {
        // Children first: under unshare the only child is the namespace's init, whose death ends the namespace.
        process.children().forEach(ProcessHandle::destroyForcibly);
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (namespacePrefix.isEmpty()) {
            killProcessGroup(process.pid());
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    private Path createFolder() {
        try {
            Files.createDirectories(folderRoot);
            return Files.createTempDirectory(folderRoot, "sdsat-sandbox-");
        } catch (IOException e) {
            throw new SdsatException(
                    "The accuracy sandbox cannot create a folder in " + folderRoot + ": " + e.getMessage()
                            + "; give a writable temporary folder (java.io.tmpdir)",
                    e);
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
                    walk.filter(Files::isDirectory).forEach(PythonSandbox::makeOwnerWritable);
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

    private static String readHead(Path file, int chars) throws IOException {
        long maxBytes = Math.min((long) chars * 4 + 4, Integer.MAX_VALUE - 8);
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes((int) Math.min(maxBytes, Math.max(0, Files.size(file))));
        }
        String text = new String(head, StandardCharsets.UTF_8);
        return text.length() > chars ? text.substring(0, chars) : text;
    }

    private void selfCheck(String command) {
        Execution check = run(SELF_CHECK);
        if (!check.passed()) {
            throw new SdsatException("The accuracy sandbox cannot run a trivial program with " + python + " (from "
                    + command + "): " + lastLines(check.output(), 3) + "; give a working Python 3 interpreter"
                    + " with -Dsdsat.python=PATH");
        }
    }

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

    private static SdsatException missing(String command, String why) {
        return new SdsatException("The accuracy stage needs Python 3 to run HumanEval's tests, but " + command
                + " cannot be found: " + why + ". Install python3 (3.8 or later) or give its path with"
                + " -Dsdsat.python=PATH; without -Dsdsat.accuracy=true the reproduction runs without it");
    }

    private record Probe(Path executable, String version, boolean root) {}

    /**
     * Runs the interpreter once with the caller's environment (version managers such as pyenv need theirs) to learn
     * its version, its real executable (behind a shim) and whether this process is root.
     */
    private static Probe probe(Path interpreter, String command) {
        String script = "import os, sys; print(sys.version_info[0], sys.version_info[1], sys.version.split()[0],"
                + " int(os.geteuid() == 0)); print(sys.executable)";
        ProcessOutcome outcome = runQuietly(List.of(interpreter.toString(), "-I", "-c", script), 30);
        String[] lines = outcome.output().strip().split("\n");
        if (outcome.status() != 0 || lines.length < 2) {
            throw missing(command, interpreter + " does not run (" + lastLines(outcome.output(), 3) + ")");
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
    private static List<String> namespacePrefix(Path python) {
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

    private static byte[] readRunner() {
        try (InputStream in = PythonSandbox.class.getResourceAsStream(RUNNER_RESOURCE)) {
            if (in == null) {
                throw new SdsatException("The sandbox runner " + RUNNER_RESOURCE + " is missing from the classpath;"
                        + " the sdsat-runtime jar is incomplete, rebuild it");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SdsatException("Cannot read the sandbox runner " + RUNNER_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** The last {@code lines} non-empty lines of {@code text} on one line (a traceback's last lines name the error). */
    static String lastLines(String text, int lines) {
        String[] split = text.strip().split("\n");
        String head = String.join(
                " | ", java.util.Arrays.copyOfRange(split, Math.max(0, split.length - lines), split.length));
        return head.isEmpty() ? "no output" : head;
    }
}
