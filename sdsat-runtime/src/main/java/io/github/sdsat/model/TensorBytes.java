package io.github.sdsat.model;

import java.nio.ByteBuffer;

/**
 * Tensors whose stored bytes can be read in pieces, in their own dtype: what {@link CheckpointPacker} packs from, so
 * that no tensor is ever widened to float32 or held whole (a safetensors file, or a checkpoint of one or more).
 */
interface TensorBytes {

    /** Dtype, shape and place of a tensor; throws naming the file(s) searched when it is missing. */
    TensorInfo info(String name);

    /**
     * Reads the tensor's stored bytes [offset, offset + target.remaining()) (little-endian, in {@link
     * TensorInfo#dtype()}) into {@code target}, filling it.
     *
     * <p>Why positional reads and not a memory map: pages of a mapping count in the process's resident memory until
     * the mapped buffer is garbage collected (Java 17 cannot unmap one), so mapping a 13 GB checkpoint while packing
     * it into 13 GB of heap would show 26 GB resident; a read copies from the page cache through a small buffer.
     *
     * @throws io.github.sdsat.SdsatException naming the tensor and the file when the bytes cannot be read
     */
    void readBytes(TensorInfo info, long offset, ByteBuffer target);
}
