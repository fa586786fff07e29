package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one way files are published in this project: written under a temporary name in the target's own folder and
 * moved over the target, atomically where the file system can ({@code ATOMIC_MOVE}), else with a plain
 * {@code REPLACE_EXISTING} move. Readers see the old file or the new one, never half a file; a write that fails
 * leaves the old file as it was and no temporary file behind. The target's folder is created when missing.
 *
 * <p>The temporary file is created with the default permissions (the umask), not the owner-only ones of
 * {@link Files#createTempFile}, since the rename carries them over to the published file, which others (CI artifact
 * upload, a web server) must be able to read.
 *
 * <p>Public because writers outside this package (benchmarks, reports, training, the Maven plugin, the reproduction
 * tests) need the same guarantee.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The move tried first; a package-private seam so tests can stand in a file system without atomic moves. */
    static final Move ATOMIC_MOVE =
            (from, to) -> Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

    private AtomicFiles() {}

    /** Writing code that receives the (existing, empty) temporary file to fill. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(Path temporary) throws IOException;
    }

    /** Writing code that receives the (existing, empty) temporary folder to fill. */
    @FunctionalInterface
    public interface FolderWriter {
        void writeTo(Path temporaryFolder) throws IOException;
    }

    /** A move of the filled temporary file over the target. */
    @FunctionalInterface
    interface Move {
        void move(Path temporary, Path target) throws IOException;
    }

    /**
     * Fills a temporary file beside {@code target} with {@code writer}, then moves it over {@code target}.
     *
     * @throws IOException what creating, filling or moving threw; the old {@code target} is then untouched and the
     *     temporary file removed
     */
    public static void write(Path target, Writer writer) throws IOException {
        write(target, writer, ATOMIC_MOVE);
    }

    /**
     * Writes {@code content} to {@code target} as {@link #write(Path, Writer)} does.
     *
     * @return {@code target}
     * @throws SdsatException naming the file, the reason and the fix when writing fails
     */
    public static Path write(Path target, byte[] content) {
        try {
            write(target, temporary -> Files.write(temporary, content));
            return target;
        } catch (IOException e) {
            Path absolute = target.toAbsolutePath();
            throw new SdsatException(
                    "Cannot write " + absolute + " (" + describe(e) + "): check that " + absolute.getParent()
                            + " is writable and the disk has space",
                    e);
        }
    }

    /** Writes {@code text} as UTF-8 to {@code target}, as {@link #write(Path, byte[])} does. */
    public static Path writeString(Path target, String text) {
        return write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Fills a hidden temporary folder beside {@code target} with {@code writer}, then renames it to {@code target}, so
     * a reader sees the whole folder or none of it (a model folder of many shards, say). {@code target} must not
     * exist, or be an empty folder; a failure deletes the temporary folder, and a killed process leaves it behind as
     * {@code .<name>.<pid>.<hex>.tmp} beside the target.
     *
     * @throws FileAlreadyExistsException when {@code target} exists and is not an empty folder (nothing is written)
     * @throws IOException what creating, filling or renaming threw; the temporary folder is then removed
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        requireAbsentOrEmpty(absolute);
        Path temporary = null;
        for (int attempt = 0; temporary == null; attempt++) {
            Path candidate = parent.resolve("." + absolute.getFileName() + "."
                    + ProcessHandle.current().pid() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            try {
                temporary = Files.createDirectory(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
        try {
            writer.writeTo(temporary);
            requireAbsentOrEmpty(absolute);
            Files.deleteIfExists(absolute); // an empty folder: rename(2) would replace it, Files.move does not
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                deleteRecursively(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static void requireAbsentOrEmpty(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        if (Files.isDirectory(folder)) {
            try (Stream<Path> entries = Files.list(folder)) {
                if (entries.findAny().isEmpty()) {
                    return;
                }
            }
        }
        throw new FileAlreadyExistsException(folder.toString(), null, "exists and is not an empty folder");
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(folder)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }

    static void write(Path target, Writer writer, Move atomicMove) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        Files.createDirectories(folder);
        Path temporary = createTemporary(folder, absolute.getFileName().toString());
        try {
            writer.writeTo(temporary);
            try {
                atomicMove.move(temporary, absolute);
            } catch (AtomicMoveNotSupportedException e) {
                // Same folder, so this only happens on unusual file systems; a plain replace is the best left.
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static Path createTemporary(Path folder, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temporary = folder.resolve("." + name + "."
                    + ProcessHandle.current().pid() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            try {
                return Files.createFile(temporary);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getFile() == null ? fse.getReason() : fse.getFile() + ": " + fse.getReason();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
