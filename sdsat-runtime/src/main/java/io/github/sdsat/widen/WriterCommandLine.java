package io.github.sdsat.widen;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The command-line frame both checkpoint writers of this package share: parsing with usage, the written summary. */
final class WriterCommandLine {
    private WriterCommandLine() {}

    /**
     * The request {@code parser} makes of {@code args}; for a bad command line prints the problem and {@code usage}
     * to standard error and exits with status 2.
     */
    static <R> R parsedOrExit(String[] args, Function<String[], R> parser, String usage) {
        try {
            return parser.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(usage);
            System.exit(2);
            throw e; // not reached: exit does not return
        }
    }

    /** The end of both writers' summary line: {@code 2 shard(s), 123 bytes (0.00 GB) in 1.5 s}. */
    static String written(List<Path> shards, long bytes, Duration elapsed) {
        return String.format(
                Locale.ROOT,
                "%d shard(s), %d bytes (%.2f GB) in %.1f s",
                shards.size(),
                bytes,
                bytes / 1e9,
                elapsed.toMillis() / 1000.0);
    }
}
