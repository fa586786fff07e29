package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one atomic-write helper every file writer of the project goes through. */
class AtomicFilesTest {

    @TempDir
    Path folder;

    @Test
    void writesBytesAndStringsCreatingTheFolder() throws IOException {
        Path target = folder.resolve("a").resolve("b").resolve("file.json");
        assertThat(AtomicFiles.write(target, new byte[] {1, 2, 3})).isEqualTo(target);
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);

        AtomicFiles.writeString(target, "héllo\n");
        assertThat(Files.readString(target, StandardCharsets.UTF_8)).isEqualTo("héllo\n");
        assertThat(names(target.getParent())).containsExactly("file.json");
    }

    @Test
    void fillsATemporaryFileInTheSameFolderAndMovesItIntoPlace() throws IOException {
        Path target = Files.writeString(folder.resolve("results.json"), "old");
        List<Path> seen = new ArrayList<>();
        AtomicFiles.write(target, temporary -> {
            seen.add(temporary);
            assertThat(temporary.getParent()).isEqualTo(target.toAbsolutePath().getParent());
            assertThat(temporary.getFileName().toString())
                    .startsWith(".results.json.")
                    .endsWith(".tmp");
            assertThat(temporary).exists().isEmptyFile();
            assertThat(Files.readString(target))
                    .as("the old file stays until the move")
                    .isEqualTo("old");
            Files.writeString(temporary, "new");
        });
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(seen.get(0)).doesNotExist();
        assertThat(names(folder)).containsExactly("results.json");
    }

    @Test
    void aWriterThatThrowsLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = Files.writeString(folder.resolve("model.safetensors"), "old");
        assertThatThrownBy(() -> AtomicFiles.write(target, temporary -> {
                    Files.writeString(temporary, "half a fi");
                    throw new IOException("disk full");
                }))
                .isInstanceOf(IOException.class)
                .hasMessage("disk full");
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(names(folder)).containsExactly("model.safetensors");

        assertThatThrownBy(() -> AtomicFiles.write(target, temporary -> {
                    throw new IllegalStateException("bug in the writer");
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(names(folder)).containsExactly("model.safetensors");
    }

    @Test
    void fallsBackToAPlainReplaceWhereTheFileSystemLacksAtomicMoves() throws IOException {
        Path target = Files.writeString(folder.resolve("config.json"), "old");
        AtomicFiles.write(target, temporary -> Files.writeString(temporary, "new"), (from, to) -> {
            throw new AtomicMoveNotSupportedException(from.toString(), to.toString(), "not on this file system");
        });
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(names(folder)).containsExactly("config.json");
    }

    @Test
    void aFailedMoveLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = Files.writeString(folder.resolve("config.json"), "old");
        assertThatThrownBy(() ->
                        AtomicFiles.write(target, temporary -> Files.writeString(temporary, "new"), (from, to) -> {
                            throw new IOException("rename refused");
                        }))
                .hasMessage("rename refused");
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(names(folder)).containsExactly("config.json");
    }

    @Test
    void failuresOfTheByteWriterNameTheFileAndTheFix() throws IOException {
        Path file = Files.writeString(folder.resolve("a-file"), "x");
        Path target = file.resolve("results.json"); // its folder is a file
        assertThatThrownBy(() -> AtomicFiles.write(target, new byte[] {1}))
                .isInstanceOf(SdsatException.class)
                .hasMessageStartingWith("Cannot write " + target.toAbsolutePath())
                .hasMessageContaining("is writable and the disk has space")
                .hasCauseInstanceOf(IOException.class);
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    /** The rename carries the temporary file's permissions over, so it must not be owner-only. */
    @Test
    void publishedFilesKeepTheDefaultPermissions() throws IOException {
        Path target = AtomicFiles.writeString(folder.resolve("index.html"), "<html/>");
        PosixFileAttributeView posix = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        if (posix == null) {
            return;
        }
        Path reference = Files.writeString(folder.resolve("plain.txt"), "x");
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(Files.getPosixFilePermissions(reference));
        assertThat(Files.getPosixFilePermissions(target)).contains(PosixFilePermission.OWNER_READ);
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }
}
