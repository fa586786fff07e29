package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;

/**
 * How {@link CheckpointPacker} reads the weights: rows of the stored tensors, by name, widened exactly to float32 or
 * as bfloat16 bits when stored so, in pieces of at most {@link CheckpointPacker#CHUNK_BYTES}; and the row-block arrays,
 * reused from matrix to matrix (a 7B model has 160 matrices: 8 MiB of garbage each otherwise).
 */
abstract class TensorRows {
    /**
     * The reader of a source: a {@link TensorBytes} source ({@link Checkpoint}, {@link SafetensorsFile}) is read in
     * its stored dtype, in pieces; any other source as float32, tensor by tensor, with the given shapes.
     */
    static TensorRows of(WeightSource source, Map<String, long[]> shapes) {
        return source instanceof TensorBytes stored ? new StoredReader(stored) : new FloatReader(source, shapes);
    }

    private float[] floatBlock = new float[0];
    private short[] halfBlock = new short[0];

    float[] floatBlock(int n) {
        if (floatBlock.length < n) {
            floatBlock = new float[n];
        }
        return floatBlock;
    }

    short[] halfBlock(int n) {
        if (halfBlock.length < n) {
            halfBlock = new short[n];
        }
        return halfBlock;
    }

    /** The stored dtype; checks the stored shape against {@code shape} (the configuration's). */
    abstract SafetensorsDtype dtype(String name, long[] shape);

    /** Rows of a matrix (1 for a vector). */
    abstract int rows(String name);

    /** Rows [first, first + count) of width {@code width} into {@code out[0 ..]}, as float32. */
    abstract void floats(String name, long first, int count, int width, float[] out);

    /** As {@link #floats}, as bfloat16 bits; only for a tensor stored in bfloat16. */
    abstract void halves(String name, long first, int count, int width, short[] out);

    /** Releases what the reader holds. */
    void done() {
        floatBlock = new float[0];
        halfBlock = new short[0];
    }

    /** Reads the stored bytes in pieces of at most {@link CheckpointPacker#CHUNK_BYTES} through one reused buffer. */
    private static final class StoredReader extends TensorRows {
        private final TensorBytes source;
        private final ByteBuffer buffer =
                ByteBuffer.allocateDirect(CheckpointPacker.CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private short[] bits = new short[0];

        StoredReader(TensorBytes source) {
            this.source = source;
        }

        @Override
        SafetensorsDtype dtype(String name, long[] shape) {
            TensorInfo info = source.info(name);
            if (shape != null && !Arrays.equals(info.shape(), shape)) {
                throw new SdsatException("tensor '" + name + "' in " + info.file() + " has shape "
                        + Arrays.toString(info.shape()) + " but the configuration needs " + Arrays.toString(shape)
                        + "; config.json and the safetensors files must come from the same model");
            }
            return info.dtype();
        }

        @Override
        int rows(String name) {
            long[] shape = source.info(name).shape();
            return shape.length < 2 ? 1 : Math.toIntExact(shape[0]);
        }

        @Override
        void floats(String name, long first, int count, int width, float[] out) {
            TensorInfo info = source.info(name);
            int n = count * width;
            switch (info.dtype()) {
                case F32 ->
                    read(info, first * width * 4, n * 4L, (bytes, at) -> {
                        int floats = bytes.remaining() / 4;
                        bytes.asFloatBuffer().get(out, at, floats);
                        return floats;
                    });
                case BF16, F16 -> {
                    short[] halves = bitsFor(n);
                    readBits(info, first * width, n, halves);
                    boolean bf16 = info.dtype() == SafetensorsDtype.BF16;
                    for (int i = 0; i < n; i++) {
                        out[i] = bf16
                                ? SafetensorsDtype.bf16BitsToFloat(halves[i])
                                : SafetensorsDtype.f16BitsToFloat(halves[i]);
                    }
                }
            }
        }

        @Override
        void halves(String name, long first, int count, int width, short[] out) {
            TensorInfo info = source.info(name);
            if (info.dtype() != SafetensorsDtype.BF16) {
                throw new IllegalStateException(name + " is " + info.dtype() + ", not bfloat16");
            }
            readBits(info, first * width, count * width, out);
        }

        private void readBits(TensorInfo info, long firstElement, int n, short[] out) {
            read(info, firstElement * 2, n * 2L, (bytes, at) -> {
                int shorts = bytes.remaining() / 2;
                bytes.asShortBuffer().get(out, at, shorts);
                return shorts;
            });
        }

        private short[] bitsFor(int n) {
            if (bits.length < n) {
                bits = new short[n];
            }
            return bits;
        }

        /** Reads {@code length} bytes from {@code offset} of the tensor, a buffer at a time, into {@code sink}. */
        private void read(TensorInfo info, long offset, long length, Sink sink) {
            int at = 0;
            for (long done = 0; done < length; ) {
                int piece = (int) Math.min(CheckpointPacker.CHUNK_BYTES, length - done);
                buffer.clear().limit(piece);
                source.readBytes(info, offset + done, buffer);
                buffer.flip();
                at += sink.take(buffer.order(ByteOrder.LITTLE_ENDIAN), at);
                done += piece;
            }
        }

        @Override
        void done() {
            super.done();
            bits = new short[0];
        }
    }

    /** Takes one buffer of bytes into the output from element {@code at}; returns the elements taken. */
    @FunctionalInterface
    private interface Sink {
        int take(ByteBuffer bytes, int at);
    }

    /** Any other source: one tensor at a time as float32 (these sources hold their tensors in memory already). */
    private static final class FloatReader extends TensorRows {
        private final WeightSource source;
        private final Map<String, long[]> shapes;
        private String current;
        private FloatBuffer data;

        FloatReader(WeightSource source, Map<String, long[]> shapes) {
            this.source = source;
            this.shapes = shapes;
        }

        @Override
        SafetensorsDtype dtype(String name, long[] shape) {
            return SafetensorsDtype.F32;
        }

        @Override
        int rows(String name) {
            long[] shape = shapes.get(name);
            return shape.length < 2 ? 1 : Math.toIntExact(shape[0]);
        }

        @Override
        void floats(String name, long first, int count, int width, float[] out) {
            if (!name.equals(current)) {
                data = null; // the previous tensor may be collected before the next is read
                data = source.tensor(name, shapes.get(name));
                current = name;
            }
            data.get(Math.toIntExact(first * width), out, 0, count * width);
        }

        @Override
        void halves(String name, long first, int count, int width, short[] out) {
            throw new IllegalStateException(name + " is read as float32");
        }

        @Override
        void done() {
            super.done();
            data = null;
            current = null;
        }
    }
}
