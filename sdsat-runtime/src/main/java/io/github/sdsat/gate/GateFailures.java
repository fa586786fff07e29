package io.github.sdsat.gate;

import io.github.sdsat.SdsatException;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.RunResults;
import java.util.List;
import java.util.stream.Collectors;

/** The build's verdict on a written run: the one place that turns failed gates into a failure. */
public final class GateFailures {
    private GateFailures() {}

    /**
     * @throws SdsatException naming every gate that failed, with its figures, when any did (the report is already
     *     written: its {@code index.html} and JUnit XML show the same)
     */
    public static void requireNone(RunResults results) {
        List<GateResult> failed = results.failedGates();
        if (!failed.isEmpty()) {
            throw new SdsatException(failed.size() + " of " + results.gates().size() + " gates failed:\n  - "
                    + failed.stream().map(g -> g.title() + ": " + g.message()).collect(Collectors.joining("\n  - ")));
        }
    }
}
