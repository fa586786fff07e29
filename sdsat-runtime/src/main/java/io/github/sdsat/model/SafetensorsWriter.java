package io.github.sdsat.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Writes safetensors files (single or sharded with an index, as transformers' {@code save_pretrained} does),
 * converting float32 data to F16 or BF16 with round-to-nearest-even. Every file is written under a temporary name
 * and moved into place. A tensor is either held whole ({@link Tensor}) or produced row by row while it is written
 * ({@link StreamedTensor}), so a checkpoint larger than memory (a widened 7B model) is written with one row in memory.
 */
public final class SafetensorsWriter {

    /** transformers refuses safetensors files whose metadata names no known format; "pt" is what PyTorch saves. */
    public static final Map<String, String> DEFAULT_METADATA = Map.of("format", "pt");

    private static final Pattern SHARD_FILE = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final int WRITE_BUFFER_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /** A tensor to write: its stored dtype and shape; the elements come from the implementation. */
    public sealed interface TensorData permits Tensor, StreamedTensor {
        SafetensorsDtype dtype();

        long[] shape();

        /** Bytes of data in the file: the element count times the dtype's size. */
        default long byteLength() {
            return Math.multiplyExact(TensorInfo.elementCount(shape()), dtype().bytes());
        }
    }

    /**
     * One tensor to write: its stored dtype, its shape, and its elements in row-major order as floats.
     */
    public record Tensor(SafetensorsDtype dtype, long[] shape, float[] data) implements TensorData {
        public Tensor {
            if (dtype == null || shape == null || data == null) {
                throw new IllegalArgumentException("tensor needs a dtype, a shape and data");
            }
            shape = shape.clone();
            long count = 1;
            for (long dim : shape) {
                if (dim < 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
                }
                count = Math.multiplyExact(count, dim);
            }
            if (count != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + count
                        + " elements but the data has " + data.length);
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public long byteLength() {
            return (long) data.length * dtype.bytes();
        }
    }

    /** Fills one row of a {@link StreamedTensor}. */
    @FunctionalInterface
    public interface Rows {
        /**
         * Writes row {@code row} (0-based, rows asked for in order) into {@code out}, overwriting all of it.
         *
         * @param out {@code [rowLength]} floats
         */
        void fill(long row, float[] out);
    }

    /**
     * A tensor whose elements are made while it is written, one row at a time: a tensor of rank 2 or more has
     * {@code shape[0]} rows of the product of the other dimensions; a tensor of rank 0 or 1 is one row.
     *
     * @param rows called once, when the tensor's data is about to be written (so whatever it reads, say a source
     *     tensor, is held only while this tensor is written); the {@link Rows} it returns is asked for every row in
     *     order
     */
    public record StreamedTensor(SafetensorsDtype dtype, long[] shape, Supplier<Rows> rows) implements TensorData {
        public StreamedTensor {
            if (dtype == null || shape == null || rows == null) {
                throw new IllegalArgumentException("tensor needs a dtype, a shape and a row source");
            }
            shape = shape.clone();
            for (long dim : shape) {
                if (dim < 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
                }
            }
            long rowLength = rowLength(shape);
            if (rowLength > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a row of shape " + Arrays.toString(shape) + " has " + rowLength
                        + " elements, more than one Java array holds; split the tensor along its first dimension");
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Rows of the tensor: {@code shape[0]} for rank 2 or more, else 1. */
        public long rowCount() {
            return shape.length < 2 ? 1 : shape[0];
        }

        /** Elements per row. */
        public int rowLength() {
            return (int) rowLength(shape);
        }

        private static long rowLength(long[] shape) {
            long length = 1;
            for (int i = shape.length < 2 ? 0 : 1; i < shape.length; i++) {
                length = Math.multiplyExact(length, shape[i]);
            }
            return length;
        }
    }

    /** Writes one safetensors file with {@link #DEFAULT_METADATA}; tensors are stored in the map's order. */
    public static void write(Path file, Map<String, ? extends TensorData> tensors) {
        write(file, tensors, DEFAULT_METADATA);
    }

    /**
     * Writes one safetensors file: header (metadata first, then tensors in the map's order), padded with spaces
     * to a multiple of 8 bytes, then the little-endian data.
     *
     * @param metadata written as {@code __metadata__} as given (none when empty); transformers needs
     *                 {@code "format": "pt"} in it to load the file
     */
    public static void write(Path file, Map<String, ? extends TensorData> tensors, Map<String, String> metadata) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("no tensors to write to " + file);
        }
        byte[] header = header(tensors, metadata);
        try {
            AtomicFiles.write(file, temporary -> writeFile(temporary, header, tensors));
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write " + file + ": " + e + "; check that the folder is writable and "
                            + "the disk has space",
                    e);
        }
    }

    /**
     * Writes the tensors as shards {@code model-00001-of-0000n.safetensors} of at most {@code maxShardBytes} of
     * data each (a larger single tensor gets a shard of its own), and {@code model.safetensors.index.json}, as
     * transformers does. Shards are written first and the index last; shard files of an earlier save that the new
     * index does not list are then deleted.
     *
     * @return the shard files, in order
     */
    public static List<Path> writeSharded(Path folder, Map<String, ? extends TensorData> tensors, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, found " + maxShardBytes);
        }
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("no tensors to write to " + folder);
        }
        Path single = folder.resolve(Checkpoint.SINGLE_WEIGHTS_FILE);
        if (Files.exists(single)) {
            throw new SdsatException(folder + " already holds " + Checkpoint.SINGLE_WEIGHTS_FILE + ", which loaders "
                    + "read instead of a sharded index; remove it or write the shards to another folder");
        }
        List<Map<String, TensorData>> shards = new ArrayList<>();
        Map<String, TensorData> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long totalBytes = 0;
        for (Map.Entry<String, ? extends TensorData> entry : tensors.entrySet()) {
            long bytes = entry.getValue().byteLength();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(entry.getKey(), entry.getValue());
            currentBytes += bytes;
            totalBytes += bytes;
        }
        shards.add(current);

        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String shardName = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path shard = folder.resolve(shardName);
            write(shard, shards.get(i));
            written.add(shard);
            shards.get(i).keySet().forEach(name -> weightMap.put(name, shardName));
        }

        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        Path indexFile = folder.resolve(Checkpoint.INDEX_FILE);
        try {
            byte[] bytes = (HfJson.pretty(index) + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(indexFile, temporary -> Files.write(temporary, bytes));
            deleteStaleShards(folder, written);
        } catch (IOException e) {
            throw new SdsatException("cannot write " + indexFile + ": " + e + "; check that the folder is writable", e);
        }
        return written;
    }

    private static void deleteStaleShards(Path folder, List<Path> written) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                if (SHARD_FILE.matcher(entry.getFileName().toString()).matches() && !written.contains(entry)) {
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    private static byte[] header(Map<String, ? extends TensorData> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, ? extends TensorData> entry : tensors.entrySet()) {
            if (entry.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException(
                        "'__metadata__' is reserved by safetensors and cannot name a tensor");
            }
            TensorData tensor = entry.getValue();
            ObjectNode info = root.putObject(entry.getKey());
            info.put("dtype", tensor.dtype().name());
            ArrayNode shape = info.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            long end = offset + tensor.byteLength();
            info.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a header of plain strings and numbers", e);
        }
        // Padding with spaces to a multiple of 8 keeps the data aligned for zero-copy readers.
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeFile(Path target, byte[] header, Map<String, ? extends TensorData> tensors)
            throws IOException {
        try (FileChannel channel = FileChannel.open(
                target, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.CREATE)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length);
            putBytes(channel, buffer, header);
            for (TensorData tensor : tensors.values()) {
                if (tensor instanceof Tensor whole) {
                    putFloats(channel, buffer, whole.dtype(), whole.data, whole.data.length);
                } else if (tensor instanceof StreamedTensor streamed) {
                    Rows rows = streamed.rows().get();
                    float[] row = new float[streamed.rowLength()];
                    for (long r = 0; r < streamed.rowCount(); r++) {
                        rows.fill(r, row);
                        putFloats(channel, buffer, streamed.dtype(), row, row.length);
                    }
                }
            }
            drain(channel, buffer);
            channel.force(false);
        }
    }

    private static void putFloats(FileChannel channel, ByteBuffer buffer, SafetensorsDtype dtype, float[] values, int n)
            throws IOException {
        for (int i = 0; i < n; i++) {
            if (buffer.remaining() < Float.BYTES) {
                drain(channel, buffer);
            }
            float value = values[i];
            switch (dtype) {
                case F32 -> buffer.putFloat(value);
                case F16 -> buffer.putShort(SafetensorsDtype.floatToF16Bits(value));
                case BF16 -> buffer.putShort(SafetensorsDtype.floatToBf16Bits(value));
            }
        }
    }

    private static void putBytes(FileChannel channel, ByteBuffer buffer, byte[] bytes) throws IOException {
        int at = 0;
        while (at < bytes.length) {
            if (!buffer.hasRemaining()) {
                drain(channel, buffer);
            }
            int n = Math.min(buffer.remaining(), bytes.length - at);
            buffer.put(bytes, at, n);
            at += n;
        }
    }

    private static void drain(FileChannel channel, ByteBuffer buffer) throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }
}
