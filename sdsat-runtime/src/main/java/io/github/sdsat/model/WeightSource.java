package io.github.sdsat.model;

import java.nio.FloatBuffer;

/** Named weight tensors, read as float32 whatever their stored dtype. */
public interface WeightSource {

    /** Whether a tensor of that name exists. */
    boolean has(String name);

    /**
     * The tensor's elements in row-major order as float32 (F16 and BF16 are widened exactly), in a new direct
     * buffer in native byte order, positioned at 0 with limit = element count. The caller owns the buffer.
     *
     * @param expectedShape the shape the caller needs; when given, any other stored shape is refused. Give none
     *                      to accept whatever shape is stored.
     * @throws io.github.sdsat.SdsatException naming the tensor and the file when the tensor is missing, its shape
     *                                        differs from {@code expectedShape}, or its data cannot be read
     */
    FloatBuffer tensor(String name, long... expectedShape);
}
