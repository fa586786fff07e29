package io.github.sdsat.accuracy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.dataset.HumanEval;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox on HumanEval's canonical solutions (all pass), wrong solutions (all fail) and hostile programs (each
 * fails alone, leaves no file outside its folder and no process behind). Needs python3, as CI has.
 */
class PythonSandboxTest {
    @TempDir
    static Path sandboxRoot;

    static PythonSandbox sandbox;

    @BeforeAll
    static void detect() {
        sandbox = PythonSandbox.detect(PythonSandbox.DEFAULT_PYTHON, SandboxLimits.defaults(), sandboxRoot);
        System.out.println("Sandbox: " + sandbox.describe());
    }

    @Test
    void everyCanonicalSolutionPasses() throws Exception {
        List<HumanEval.Problem> problems = HumanEval.problems();
        long start = System.nanoTime();
        List<PythonSandbox.Execution> executions = runAll(problems.stream()
                .map(p -> Completions.program(p, p.canonicalSolution()))
                .toList());
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("164 canonical solutions through the sandbox, 2 at a time: %.1f s%n", seconds);
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            if (!executions.get(i).passed()) {
                failed.add(problems.get(i).taskId() + " " + executions.get(i));
            }
        }
        assertThat(failed).isEmpty();
        assertNoFolderLeft();
    }

    @Test
    void wrongSolutionsFail() throws Exception {
        List<HumanEval.Problem> problems = HumanEval.problems().subList(0, 12);
        List<String> programs = new ArrayList<>();
        for (HumanEval.Problem p : problems) {
            programs.add(Completions.program(p, "    return None\n"));
        }
        // A solution that exits early must not count as passing the check that never ran.
        programs.add(Completions.program(problems.get(0), "    import sys\n    sys.exit(0)\n"));
        programs.add(Completions.program(problems.get(1), "    raise SystemExit\n"));
        // A syntax error, and the canonical solution of another problem.
        programs.add(Completions.program(problems.get(2), "    return (\n"));
        programs.add(Completions.program(problems.get(3), problems.get(4).canonicalSolution()));
        List<PythonSandbox.Execution> executions = runAll(programs);
        assertThat(executions).allSatisfy(e -> assertThat(e.verdict()).isEqualTo(PythonSandbox.Verdict.FAILED));
        assertNoFolderLeft();
    }

    @Test
    void writingOutsideTheFolderFailsAndLeavesNoFile(@TempDir Path outside) throws IOException {
        String marker = "sdsat-sandbox-escape-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path inTmp = Path.of("/tmp", marker);
        Path inTestFolder = outside.resolve(marker);
        Path inHome = Path.of(System.getProperty("user.home"), marker);
        for (Path target : List.of(inTmp, inTestFolder, inHome)) {
            PythonSandbox.Execution execution = sandbox.run("open(" + pythonString(target) + ", 'w').write('x')\n");
            assertThat(execution.verdict()).as(target.toString()).isEqualTo(PythonSandbox.Verdict.FAILED);
            assertThat(execution.output()).contains("Error");
            assertThat(target).doesNotExist();
        }
        // Through os.open, a shell and a rename: refused too.
        PythonSandbox.Execution viaOsOpen =
                sandbox.run("import os\nos.close(os.open(" + pythonString(inTmp) + ", os.O_CREAT | os.O_WRONLY))\n");
        PythonSandbox.Execution viaShell = sandbox.run("import os\nos.system('touch " + inTmp + "')\n");
        PythonSandbox.Execution viaRename =
                sandbox.run("open('a', 'w').write('x')\nimport os\nos.rename('a', " + pythonString(inTmp) + ")\n");
        assertThat(List.of(viaOsOpen, viaShell, viaRename))
                .allSatisfy(e -> assertThat(e.verdict()).isEqualTo(PythonSandbox.Verdict.FAILED));
        assertThat(inTmp).doesNotExist();
        // Inside its own folder a program may write.
        assertThat(sandbox.run("open('scratch.txt', 'w').write('ok')\nassert open('scratch.txt').read() == 'ok'\n")
                        .verdict())
                .isEqualTo(PythonSandbox.Verdict.PASSED);
        assertNoFolderLeft();
    }

    @Test
    void sleepingForeverIsKilledAtTheTimeout() {
        PythonSandbox fast = PythonSandbox.detect(
                PythonSandbox.DEFAULT_PYTHON, SandboxLimits.withTimeout(Duration.ofMillis(1500)), sandboxRoot);
        String tag = "sdsat-sleeper-" + System.nanoTime();
        // A child that leaves the process group and the parent, and the parent: both sleep for ever.
        PythonSandbox.Execution execution = fast.run("import os, time\nif os.fork() == 0:\n    os.setsid()\n"
                + "    time.sleep(100000)\ntime.sleep(100000)  # " + tag + "\n");
        assertThat(execution.verdict()).isEqualTo(PythonSandbox.Verdict.TIMED_OUT);
        assertThat(execution.wallMs()).isLessThan(10_000);
        assertNoProcessLeft();
        assertNoFolderLeft();
    }

    @Test
    void aForkBombFailsAloneAndLeavesNoProcess() {
        PythonSandbox fast = PythonSandbox.detect(
                PythonSandbox.DEFAULT_PYTHON, SandboxLimits.withTimeout(Duration.ofMillis(1500)), sandboxRoot);
        PythonSandbox.Execution bomb = fast.run("import os, time\nwhile True:\n    try:\n        os.fork()\n"
                + "    except OSError:\n        time.sleep(0.01)\n");
        assertThat(bomb.verdict()).isNotEqualTo(PythonSandbox.Verdict.PASSED);
        assertNoProcessLeft();
        // The next program runs normally.
        assertThat(fast.run("assert 1 + 1 == 2\n").verdict()).isEqualTo(PythonSandbox.Verdict.PASSED);
        assertNoFolderLeft();
    }

    @Test
    void unboundedAllocationFails() {
        // 256 MiB and a long timeout: touching the memory takes seconds on a loaded machine, and the test asks for
        // the MemoryError, not the timeout.
        PythonSandbox small = PythonSandbox.detect(
                PythonSandbox.DEFAULT_PYTHON,
                new SandboxLimits(Duration.ofSeconds(30), 30, 256L << 20, 1L << 20, 32, 4000),
                sandboxRoot);
        PythonSandbox.Execution execution =
                small.run("blocks = []\nwhile True:\n    blocks.append(b'x' * (1 << 24))\n");
        assertThat(execution.verdict()).isEqualTo(PythonSandbox.Verdict.FAILED);
        assertThat(execution.output()).contains("MemoryError");
        assertNoFolderLeft();
    }

    @Test
    void printingGigabytesFailsWithBoundedOutput() {
        PythonSandbox.Execution execution =
                sandbox.run("import sys\nline = 'x' * (1 << 20)\nwhile True:\n" + "    sys.stdout.write(line)\n");
        assertThat(execution.verdict()).isNotEqualTo(PythonSandbox.Verdict.PASSED);
        assertThat(execution.output().length())
                .isLessThanOrEqualTo(sandbox.limits().outputChars());
        assertNoFolderLeft();
    }

    @Test
    void theNetworkIsUnreachable() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(200);
            PythonSandbox.Execution execution = sandbox.run("import socket\nsocket.create_connection(('127.0.0.1', "
                    + server.getLocalPort() + "), timeout=1).sendall(b'escaped')\n");
            assertThat(execution.verdict()).isEqualTo(PythonSandbox.Verdict.FAILED);
            assertThatThrownBy(server::accept).isInstanceOf(SocketTimeoutException.class);
        }
        System.out.println("Network namespace: " + sandbox.networkIsolated());
    }

    @Test
    void aMissingInterpreterIsNamedBeforeAnyWork() {
        assertThatThrownBy(() -> PythonSandbox.detect("/nonexistent/python3", SandboxLimits.defaults()))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("/nonexistent/python3")
                .hasMessageContaining("-Dsdsat.python");
        assertThatThrownBy(() -> PythonSandbox.detect("no-such-python-sdsat", SandboxLimits.defaults()))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("no-such-python-sdsat")
                .hasMessageContaining("not on the PATH");
    }

    private static List<PythonSandbox.Execution> runAll(List<String> programs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<PythonSandbox.Execution>> futures = new ArrayList<>();
            for (String program : programs) {
                futures.add(pool.submit(() -> sandbox.run(program)));
            }
            List<PythonSandbox.Execution> executions = new ArrayList<>();
            for (Future<PythonSandbox.Execution> future : futures) {
                executions.add(future.get());
            }
            return executions;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String pythonString(Path path) {
        return "'" + path.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** No process of the machine has its working folder in the sandbox root (every program's folder is there). */
    private static void assertNoProcessLeft() {
        String root = sandboxRoot.toAbsolutePath().toString();
        List<String> left = new ArrayList<>();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes
                    .filter(p -> p.getFileName().toString().matches("\\d+"))
                    .toList()) {
                try {
                    if (Files.readSymbolicLink(process.resolve("cwd"))
                            .toString()
                            .startsWith(root)) {
                        left.add(process.getFileName().toString());
                    }
                } catch (IOException | SecurityException e) {
                    // Gone meanwhile, or not ours to read.
                }
            }
        } catch (IOException e) {
            throw new AssertionError("Cannot list /proc to look for leftover processes", e);
        }
        assertThat(left).as("processes still running in the sandbox folders").isEmpty();
    }

    private static void assertNoFolderLeft() {
        try (Stream<Path> left = Files.list(sandboxRoot)) {
            assertThat(left.toList()).as("program folders left behind").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
