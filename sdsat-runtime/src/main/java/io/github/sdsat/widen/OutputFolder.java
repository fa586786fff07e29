package io.github.sdsat.widen;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.SafetensorsDtype;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The checks both checkpoint writers of this package make on their output before writing anything, and the write
 * itself.
 */
final class OutputFolder {
    private OutputFolder() {}

    static void checkOutput(Path output) {
        if (Files.exists(output)) {
            boolean empty;
            try (var entries = Files.list(output)) {
                empty = entries.findAny().isEmpty();
            } catch (IOException e) {
                empty = false;
            }
            if (!Files.isDirectory(output) || !empty) {
                throw new SdsatException("the output " + output + " already exists and is not an empty folder: a "
                        + "widening writes a new model folder; remove it or choose another --out");
            }
        }
        Path parent = output.getParent();
        Path existing = parent;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new SdsatException("cannot create " + output + ": " + existing + " is not a writable folder; "
                    + "choose an --out in a folder you can write");
        }
    }

    static void checkShardBytes(long maxShardBytes) {
        if (maxShardBytes <= 0 || maxShardBytes > Integer.MAX_VALUE) {
            throw new SdsatException("--shard-bytes " + maxShardBytes + " is outside 1.." + Integer.MAX_VALUE
                    + ": DJL's safetensors reader cannot read a file of 2 GiB or more; use the default "
                    + WidenCheckpoint.DEFAULT_SHARD_BYTES);
        }
    }

    static void checkSpace(Path output, long dataBytes) {
        Path existing = output;
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        long needed = dataBytes + (64L << 20);
        try {
            long usable = Files.getFileStore(existing).getUsableSpace();
            if (usable < needed) {
                throw new SdsatException("the model needs " + gigabytes(needed) + " but " + existing + " has "
                        + gigabytes(usable) + " free; free space or choose an --out on another disk");
            }
        } catch (IOException e) {
            // No file store information (unusual): the write itself will fail cleanly if space runs out.
        }
    }

    /**
     * Writes the model folder {@code output} all at once ({@link AtomicFiles#writeFolder}); a failure says that
     * nothing was left behind.
     *
     * @param appeared what the error says when {@code output} appeared during the write, e.g. "x appeared while
     *     writing"
     * @param what what was being written, e.g. "the widened model"
     */
    static void write(Path output, long dataBytes, String appeared, String what, AtomicFiles.FolderWriter writer) {
        try {
            AtomicFiles.writeFolder(output, writer);
        } catch (FileAlreadyExistsException e) {
            throw new SdsatException(appeared + "; nothing was written to it: remove it or choose another --out", e);
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write " + what + " to " + output + ": " + e + "; check that " + output.getParent()
                            + " is writable and has " + gigabytes(dataBytes) + " free; nothing was left behind",
                    e);
        }
    }

    static String gigabytes(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    static SafetensorsDtype dtype(String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16" -> SafetensorsDtype.BF16;
            case "f16", "float16" -> SafetensorsDtype.F16;
            case "f32", "float32" -> SafetensorsDtype.F32;
            default -> throw new IllegalArgumentException("--dtype '" + value + "' is not one of bf16, f16, f32");
        };
    }
}
