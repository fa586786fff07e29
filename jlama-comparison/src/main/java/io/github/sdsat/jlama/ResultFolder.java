package io.github.sdsat.jlama;

import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.report.ResultFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the module's two entry points put their results (their command lines are parsed by the runtime's {@link
 * io.github.sdsat.bench.OptionValues}, as the runtime's benchmarks are).
 */
final class ResultFolder {
    private ResultFolder() {}

    /**
     * Writes {@code out/results.json} and {@code out/table.md}, each atomically through {@link AtomicFiles} (a reader
     * never sees half a file; a failure names the file and the fix).
     */
    static void write(Path out, Map<String, Object> json, String table) {
        try {
            Files.createDirectories(out);
            Path jsonFile = AtomicFiles.write(
                    out.resolve("results.json"),
                    ResultFiles.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
            Path mdFile = AtomicFiles.writeString(out.resolve("table.md"), table);
            System.out.println("wrote " + jsonFile.toAbsolutePath() + " and " + mdFile.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot write the results to " + out.toAbsolutePath() + ": " + e.getMessage()
                            + "; choose a writable folder with --out",
                    e);
        }
    }
}
