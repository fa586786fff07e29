package io.github.sdsat.model;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor of a safetensors checkpoint lives.
 *
 * @param name       the tensor name, e.g. {@code model.norm.weight}
 * @param dtype      its stored element type
 * @param shape      its shape (a copy is returned)
 * @param file       the safetensors file holding it
 * @param fileOffset absolute byte offset of its first element in {@code file}
 * @param byteLength bytes of data ({@code elementCount() * dtype.bytes()})
 */
public record TensorInfo(
        String name, SafetensorsDtype dtype, long[] shape, Path file, long fileOffset, long byteLength) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Product of the dimensions (1 for a scalar). */
    public long elementCount() {
        return elementCount(shape);
    }

    static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && file.equals(that.file)
                && fileOffset == that.fileOffset
                && byteLength == that.byteLength;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + Arrays.hashCode(shape)) + file.hashCode() + Long.hashCode(fileOffset);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " in " + file.getFileName();
    }
}
