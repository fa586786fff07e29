package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.report.ResultFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a benchmark's report ({@link CostCurve}, {@link OracleBenchmark}) as JSON, with the results' mapper. */
public final class BenchmarkJson {
    private BenchmarkJson() {}

    /** Writes {@code report} indented, atomically (a reader never sees half a file). */
    public static void write(Object report, Path json) {
        try {
            byte[] bytes = ResultFiles.mapper().writeValueAsBytes(report);
            AtomicFiles.write(json, temporary -> Files.write(temporary, bytes));
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write " + json + ": " + e.getMessage() + "; choose a writable path " + "with --json", e);
        }
    }
}
