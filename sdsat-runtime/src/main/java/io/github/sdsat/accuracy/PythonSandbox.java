package io.github.sdsat.accuracy;

import io.github.sdsat.SdsatException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

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
        Path found = PythonProbes.locate(command);
        PythonProbes.Probe probe = PythonProbes.probe(found, command);
        List<String> namespaces = PythonProbes.namespacePrefix(probe.executable());
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
            PythonProbes.Probe candidateProbe =
                    candidate.equals(probe.executable()) ? probe : PythonProbes.probe(candidate, candidate.toString());
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
            SandboxCleanup.deleteFolder(folder);
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
            SandboxCleanup.killAll(process, !namespacePrefix.isEmpty(), folder);
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while a sandboxed program ran", e);
        }
        long wallMs = (System.nanoTime() - start) / 1_000_000;
        // Children the program left behind (a background fork) end with it, whether it finished or not.
        SandboxCleanup.killAll(process, !namespacePrefix.isEmpty(), folder);
        String text = readHead(output, limits.outputChars());
        if (!finished) {
            return new Execution(Verdict.TIMED_OUT, -1, text, wallMs);
        }
        int status = process.exitValue();
        boolean passed = status == 0 && readHead(output, Integer.MAX_VALUE).contains("\n" + PASS_MARKER + "\n");
        return new Execution(passed ? Verdict.PASSED : Verdict.FAILED, status, text, wallMs);
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
