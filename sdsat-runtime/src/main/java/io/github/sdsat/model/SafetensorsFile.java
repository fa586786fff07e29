package io.github.sdsat.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header ({@code dtype}, {@code shape},
 * {@code data_offsets} per tensor, optional {@code __metadata__}), then the raw little-endian data.
 *
 * <p>The header is read and checked when the file is opened; tensor data is memory-mapped per tensor when asked
 * for, with long offsets throughout, so files larger than 2 GiB (7B shards) work.
 */
public final class SafetensorsFile implements WeightSource, TensorBytes, AutoCloseable {

    /** The safetensors format's own limit on the header size; larger values mean a corrupt or foreign file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /** A direct buffer holds at most Integer.MAX_VALUE bytes, so a float32 result at most this many elements. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE / Float.BYTES;

    private static final int CONVERSION_CHUNK = 1 << 16;
    /** Duplicate tensor names are refused: a plain JSON reader would keep the last one and load it silently. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path file;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafetensorsFile(
            Path file, FileChannel channel, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens a safetensors file and validates its header: length within the file, JSON, dtypes F32/F16/BF16,
     * shapes, and data offsets inside the file and consistent with dtype and shape.
     *
     * @throws SdsatException naming the file (and tensor) and the problem
     */
    public static SafetensorsFile open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SdsatException("safetensors file " + file + " not found");
        } catch (IOException e) {
            throw new SdsatException("cannot open safetensors file " + file + ": " + e, e);
        }
        try {
            long fileSize = channel.size();
            Header header = readHeader(file, channel, fileSize);
            return new SafetensorsFile(file, channel, header.tensors, header.metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SdsatException("cannot read safetensors file " + file + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    private static Header readHeader(Path file, FileChannel channel, long fileSize) throws IOException {
        String fix = "; the file is truncated or corrupt: download or save it again";
        if (fileSize < Long.BYTES) {
            throw new SdsatException(file + " is truncated: it is " + fileSize + " bytes, too short for the 8-byte "
                    + "header length that starts every safetensors file" + fix);
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw new SdsatException(file + ": header length " + Long.toUnsignedString(headerLength)
                    + " is not a plausible safetensors header length (2 bytes to 100 MiB): not a safetensors "
                    + "file, or corrupt" + fix);
        }
        if (headerLength > fileSize - Long.BYTES) {
            throw new SdsatException(file + ": header length " + headerLength + " is larger than the file (" + fileSize
                    + " bytes)" + fix);
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, Long.BYTES);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")) {
                throw new SdsatException(
                        file + ": the safetensors header names a tensor twice (" + e.getOriginalMessage()
                                + "); each tensor name must appear once" + fix,
                        e);
            }
            throw new SdsatException(
                    file + ": the safetensors header is not valid JSON (" + e.getOriginalMessage() + ")" + fix, e);
        }
        if (root == null || !root.isObject()) {
            throw new SdsatException(file + ": the safetensors header must be a JSON object" + fix);
        }
        long dataStart = Long.BYTES + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            JsonNode entry = field.getValue();
            if (name.equals("__metadata__")) {
                if (!entry.isObject()) {
                    throw new SdsatException(
                            file + ": __metadata__ must be an object of strings, found " + entry + fix);
                }
                entry.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new SdsatException(file + ": __metadata__ value for '" + m.getKey()
                                + "' must be a string, found " + m.getValue() + fix);
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            infos.add(parseEntry(file, name, entry, dataStart, dataSize, fileSize, fix));
        }
        infos.sort(Comparator.comparingLong(TensorInfo::fileOffset));
        checkContiguous(file, infos, dataStart, dataSize, fix);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo info : infos) {
            tensors.put(info.name(), info);
        }
        return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    /**
     * The format's layout rule: sorted by offset, the tensors tile the data section exactly, from byte 0 to its end,
     * with no gap and no overlap (the reference implementation refuses anything else, so such a file was not written
     * by a safetensors writer, and overlapping tensors would silently share bytes).
     */
    private static void checkContiguous(Path file, List<TensorInfo> sorted, long dataStart, long dataSize, String fix) {
        long expectedBegin = 0;
        TensorInfo previous = null;
        for (TensorInfo info : sorted) {
            long begin = info.fileOffset() - dataStart;
            if (begin != expectedBegin) {
                String relation = begin < expectedBegin
                        ? "overlaps"
                        : "leaves a gap of " + (begin - expectedBegin) + " bytes after";
                throw new SdsatException("tensor '" + info.name() + "' in " + file + ": its data begins at byte "
                        + begin + " of the data section, which " + relation
                        + (previous == null
                                ? " the start of the data section"
                                : " tensor '" + previous.name() + "' (ending at byte " + expectedBegin + ")")
                        + "; tensors must lie back to back without gaps or overlaps" + fix);
            }
            expectedBegin = begin + info.byteLength();
            previous = info;
        }
        if (expectedBegin != dataSize) {
            throw new SdsatException(file + ": the tensors end at byte " + expectedBegin + " of the data section, but "
                    + "it is " + dataSize + " bytes; the file has " + (dataSize - expectedBegin) + " bytes that no "
                    + "tensor describes" + fix);
        }
    }

    private static TensorInfo parseEntry(
            Path file, String name, JsonNode entry, long dataStart, long dataSize, long fileSize, String fix) {
        String where = "tensor '" + name + "' in " + file;
        if (!entry.isObject()) {
            throw new SdsatException(where + ": header entry must be an object with dtype, shape and "
                    + "data_offsets, found " + entry + fix);
        }
        JsonNode dtypeNode = entry.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SdsatException(where + ": dtype must be a string, found " + dtypeNode + fix);
        }
        SafetensorsDtype dtype;
        try {
            dtype = SafetensorsDtype.parse(dtypeNode.asText(), where);
        } catch (IllegalArgumentException e) {
            throw new SdsatException(e.getMessage(), e);
        }
        long[] shape = nonNegativeLongs(entry.get("shape"), -1, where, "shape", fix);
        long[] offsets = nonNegativeLongs(entry.get("data_offsets"), 2, where, "data_offsets", fix);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SdsatException(
                    where + ": data_offsets " + Arrays.toString(offsets) + " end before they begin" + fix);
        }
        if (end > dataSize) {
            throw new SdsatException(where + ": data_offsets " + Arrays.toString(offsets) + " point past the end "
                    + "of the file (the data section is " + dataSize + " bytes; the file would need at least "
                    + (dataStart + end) + " bytes but is " + fileSize + ")" + fix);
        }
        long needed;
        try {
            needed = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SdsatException(where + ": shape " + Arrays.toString(shape) + " is too large (the product of "
                    + "its entries overflows 64 bits)" + fix);
        }
        if (end - begin != needed) {
            throw new SdsatException(where + ": data_offsets " + Arrays.toString(offsets) + " hold "
                    + (end - begin) + " bytes, but dtype " + dtype + " with shape " + Arrays.toString(shape)
                    + " needs " + needed + fix);
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, needed);
    }

    private static long[] nonNegativeLongs(JsonNode node, int requiredLength, String where, String field, String fix) {
        boolean valid = node != null && node.isArray() && (requiredLength < 0 || node.size() == requiredLength);
        long[] values = new long[valid ? node.size() : 0];
        for (int i = 0; valid && i < values.length; i++) {
            JsonNode element = node.get(i);
            valid = element.isIntegralNumber() && element.canConvertToLong() && element.longValue() >= 0;
            values[i] = valid ? element.longValue() : 0;
        }
        if (!valid) {
            String expected = requiredLength < 0
                    ? "a list of non-negative integers"
                    : "a list of " + requiredLength + " non-negative integers";
            throw new SdsatException(where + ": " + field + " must be " + expected + ", found " + node + fix);
        }
        return values;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += read;
        }
        buffer.flip();
    }

    // ---------------------------------------------------------------------------------------------- access

    public Path file() {
        return file;
    }

    /** Tensor names in the order their data lies in the file. */
    public List<String> tensorNames() {
        return List.copyOf(tensors.keySet());
    }

    /** The {@code __metadata__} strings (empty when the header has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** Where the tensor lives; throws naming the file when it has no such tensor. */
    @Override
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SdsatException("tensor '" + name + "' not found in " + file + " (it holds " + tensors.size()
                    + " tensors); check the tensor name or use the checkpoint these weights belong to");
        }
        return info;
    }

    @Override
    public FloatBuffer tensor(String name, long... expectedShape) {
        return read(info(name), expectedShape);
    }

    /** Reads a tensor of this file as float32; see {@link WeightSource#tensor}. */
    FloatBuffer read(TensorInfo info, long... expectedShape) {
        if (closed) {
            throw new IllegalStateException(file + " is closed; read tensors before closing the checkpoint");
        }
        long[] shape = info.shape();
        if (expectedShape.length > 0 && !Arrays.equals(shape, expectedShape)) {
            throw new SdsatException("tensor '" + info.name() + "' in " + file + " has shape " + Arrays.toString(shape)
                    + " but " + Arrays.toString(expectedShape) + " was expected; the weights do not belong to "
                    + "this model configuration");
        }
        long count = info.elementCount();
        if (count > MAX_ELEMENTS) {
            throw new SdsatException("tensor '" + info.name() + "' in " + file + " has " + count + " elements, more "
                    + "than one float32 buffer can hold (" + MAX_ELEMENTS + ")");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) count * Float.BYTES).order(ByteOrder.nativeOrder());
        if (count == 0) {
            return out.asFloatBuffer();
        }
        try {
            long fileSize = channel.size();
            if (info.fileOffset() + info.byteLength() > fileSize) {
                throw new SdsatException("tensor '" + info.name() + "' in " + file + " ends at byte "
                        + (info.fileOffset() + info.byteLength()) + " but the file is now " + fileSize
                        + " bytes: it was truncated after it was opened");
            }
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, info.fileOffset(), info.byteLength());
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer floats = out.asFloatBuffer();
            switch (info.dtype()) {
                case F32 -> {
                    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                        out.put(mapped).clear();
                    } else {
                        floats.put(mapped.asFloatBuffer()).clear();
                    }
                }
                case F16 -> widen(mapped.asShortBuffer(), floats, false);
                case BF16 -> widen(mapped.asShortBuffer(), floats, true);
            }
            return floats;
        } catch (IOException e) {
            throw new SdsatException("cannot read tensor '" + info.name() + "' from " + file + ": " + e, e);
        }
    }

    @Override
    public void readBytes(TensorInfo info, long offset, ByteBuffer target) {
        if (closed) {
            throw new IllegalStateException(file + " is closed; read tensors before closing the checkpoint");
        }
        if (!info.file().equals(file) || !info.equals(tensors.get(info.name()))) {
            throw new IllegalArgumentException("tensor " + info + " is not one of " + this);
        }
        int length = target.remaining();
        if (offset < 0 || offset + length > info.byteLength()) {
            throw new IllegalArgumentException("bytes [" + offset + ", " + (offset + length) + ") are outside tensor '"
                    + info.name() + "' (" + info.byteLength() + " bytes)");
        }
        try {
            long at = info.fileOffset() + offset;
            while (target.hasRemaining()) {
                int read = channel.read(target, at);
                if (read < 0) {
                    throw new SdsatException("tensor '" + info.name() + "' in " + file + " ends at byte "
                            + (info.fileOffset() + info.byteLength()) + " but the file ends at byte " + at
                            + ": it was truncated after it was opened; fetch it again");
                }
                at += read;
            }
        } catch (IOException e) {
            throw new SdsatException("cannot read tensor '" + info.name() + "' from " + file + ": " + e, e);
        }
    }

    private static void widen(ShortBuffer source, FloatBuffer target, boolean bf16) {
        short[] halves = new short[Math.min(CONVERSION_CHUNK, source.remaining())];
        float[] floats = new float[halves.length];
        while (source.hasRemaining()) {
            int n = Math.min(halves.length, source.remaining());
            source.get(halves, 0, n);
            for (int i = 0; i < n; i++) {
                floats[i] =
                        bf16 ? SafetensorsDtype.bf16BitsToFloat(halves[i]) : SafetensorsDtype.f16BitsToFloat(halves[i]);
            }
            target.put(floats, 0, n);
        }
        target.clear();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Read-only channel: nothing to flush, nothing to lose.
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }
}
