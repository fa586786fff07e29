package io.github.sdsat.jlama;

import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.report.ResultFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the module's two entry points share: "--name value" pairs, whole-number values, the results folder. */
final class CommandLine {
    private CommandLine() {}

    /** The (name, value) pairs of {@code args}, in order; {@code --help}/{@code -h} or a missing value refused. */
    static List<String[]> pairs(String[] args, String usage) {
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException(usage);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Option " + name + " needs a value\n" + usage);
            }
            pairs.add(new String[] {name, args[++i]});
        }
        return pairs;
    }

    static int integer(String name, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Option " + name + " takes a whole number, got '" + value + "'");
        }
    }

    /**
     * Writes {@code out/results.json} and {@code out/table.md}, each atomically through {@link AtomicFiles} (a reader
     * never sees half a file; a failure names the file and the fix).
     */
    static void writeResults(Path out, Map<String, Object> json, String table) {
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
