package io.github.sdsat.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checked header of a safetensors file ({@link SafetensorsFile}): every tensor's dtype, shape and place in the
 * file, and the {@code __metadata__} strings. Checked on reading: header length from 2 bytes to {@value
 * #MAX_HEADER_BYTES} bytes and inside the file, JSON with no tensor named twice, dtypes F32/F16/BF16, non-negative
 * shapes, data offsets inside the file, consistent with dtype and shape, and tiling the data section without gap or
 * overlap. Every refusal names the file (and tensor) and says to fetch or save the file again.
 *
 * @param tensors by name, in the order their data lies in the file
 * @param metadata the {@code __metadata__} strings (empty when the header has none)
 */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {

    /** The safetensors format's own limit on the header size; larger values mean a corrupt or foreign file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Duplicate tensor names are refused: a plain JSON reader would keep the last one and load it silently. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * Reads and checks the header of an open safetensors file of {@code fileSize} bytes.
     *
     * @throws SdsatException naming the file (and tensor), the problem and the fix
     * @throws IOException when the file cannot be read
     */
    static SafetensorsHeader read(Path file, FileChannel channel, long fileSize) throws IOException {
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
        return new SafetensorsHeader(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
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
}
