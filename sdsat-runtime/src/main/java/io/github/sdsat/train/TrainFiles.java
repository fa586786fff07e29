package io.github.sdsat.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers of the trainer: text and JSON written through {@link AtomicFiles}, JSON read back. */
final class TrainFiles {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TrainFiles() {}

    static void writeText(Path target, String text) {
        AtomicFiles.writeString(target, text);
    }

    static String readText(Path file) {
        try {
            return Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SdsatException("Cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    static void writeJson(Path target, Object value) {
        try {
            AtomicFiles.write(target, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new SdsatException("Cannot serialise " + target.getFileName() + ": " + e.getMessage(), e);
        }
    }

    static <T> T readJson(Path file, Class<T> type) {
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot read " + file.toAbsolutePath() + " (" + e.getMessage() + "): the "
                            + "file is corrupt; delete it (and its train-state folder) to start that phase over",
                    e);
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
