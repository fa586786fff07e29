package io.github.sdsat.model;

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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header ({@code dtype}, {@code shape},
 * {@code data_offsets} per tensor, optional {@code __metadata__}), then the raw little-endian data.
 *
 * <p>The header is read and checked when the file is opened ({@link SafetensorsHeader}); tensor data is memory-mapped
 * per tensor when asked for, with long offsets throughout, so files larger than 2 GiB (7B shards) work.
 */
public final class SafetensorsFile implements WeightSource, TensorBytes, AutoCloseable {

    /** A direct buffer holds at most Integer.MAX_VALUE bytes, so a float32 result at most this many elements. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE / Float.BYTES;

    private static final int CONVERSION_CHUNK = 1 << 16;

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
            SafetensorsHeader header = SafetensorsHeader.read(file, channel, fileSize);
            return new SafetensorsFile(file, channel, header.tensors(), header.metadata());
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SdsatException("cannot read safetensors file " + file + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
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
