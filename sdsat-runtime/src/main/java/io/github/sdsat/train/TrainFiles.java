package io.github.sdsat.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.sdsat.SdsatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers of the trainer: atomic writes (temporary name, then move) and JSON. */
final class TrainFiles {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TrainFiles() {
    }

    static void writeAtomically(Path target, byte[] content) {
        try {
            Path absolute = target.toAbsolutePath();
            Files.createDirectories(absolute.getParent());
            Path temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
            try {
                Files.write(temporary, content);
                try {
                    Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new SdsatException("Cannot write " + target.toAbsolutePath() + " (" + e.getMessage()
                    + "): check that the folder is writable and the disk has space", e);
        }
    }

    static void writeText(Path target, String text) {
        writeAtomically(target, text.getBytes(StandardCharsets.UTF_8));
    }

    static void writeJson(Path target, Object value) {
        try {
            writeAtomically(target, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new SdsatException("Cannot serialise " + target.getFileName() + ": " + e.getMessage(), e);
        }
    }

    static <T> T readJson(Path file, Class<T> type) {
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new SdsatException("Cannot read " + file.toAbsolutePath() + " (" + e.getMessage() + "): the "
                    + "file is corrupt; delete it (and its train-state folder) to start that phase over", e);
        }
    }

    static void deleteRecursively(Path folder) {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new SdsatException("Cannot delete " + folder.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }
}
