package io.github.sdsat.model;

/**
 * A weight matrix W [out, in] (PyTorch Linear layout, y = x · Wᵀ) repacked for streaming by the CPU kernels.
 *
 * <p>Layout: the output columns are cut into tiles of {@link #tileWidth} columns (the last one zero-padded), and each
 * tile is stored contiguously as [in][tileWidth]: {@code data[(tile * in + i) * tileWidth + c] = W[tile * tileWidth + c,
 * i]}. A kernel walks one tile from start to end, so the weights stream once from memory in address order whatever
 * the number of rows in the pass; the tile (in × tileWidth floats, 64 KB for in = 256 and 64 columns) stays in the
 * core's L2 while every row block of the pass is multiplied with it. Why not the row-major [out, in] of PyTorch:
 * that layout needs one horizontal reduction per output column and row, which costs as much as the multiply-adds at
 * one row (docs/PERFORMANCE.md).
 */
public final class PackedMatrix {
    final int out;
    final int in;
    final int tileWidth;
    final int tiles;
    /** [tiles][in][tileWidth], flattened. */
    final float[] data;
    /**
     * Whether passes stream this matrix from memory rather than from the last-level cache (the model's weights are
     * several times the cache): the kernels then use smaller row blocks ({@link VectorCpuKernels}).
     */
    boolean streamedFromMemory;

    private PackedMatrix(int out, int in, int tileWidth, float[] data) {
        this.out = out;
        this.in = in;
        this.tileWidth = tileWidth;
        this.tiles = (out + tileWidth - 1) / tileWidth;
        this.data = data;
    }

    /** Packs a row-major W [out, in]. */
    static PackedMatrix pack(float[] rowMajor, int out, int in, int tileWidth) {
        if ((long) out * in != rowMajor.length) {
            throw new IllegalArgumentException(
                    "Weight of " + rowMajor.length + " floats is not [" + out + ", " + in + "]");
        }
        int tiles = (out + tileWidth - 1) / tileWidth;
        long size = (long) tiles * in * tileWidth;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "Weight [" + out + ", " + in + "] is too large for one Java array on the " + "CPU path (" + size
                            + " floats): run it with -Dsdsat.cpuKernels=djl");
        }
        float[] data = new float[(int) size];
        for (int o = 0; o < out; o++) {
            int tile = o / tileWidth;
            int c = o % tileWidth;
            int src = o * in;
            int dst = tile * in * tileWidth + c;
            for (int i = 0; i < in; i++) {
                data[dst + i * tileWidth] = rowMajor[src + i];
            }
        }
        return new PackedMatrix(out, in, tileWidth, data);
    }

    /** Row stride of an output buffer for this matrix: {@code out} rounded up to whole tiles. */
    int paddedOut() {
        return tiles * tileWidth;
    }

    /** Bytes of weights a pass streams through this matrix. */
    long bytes() {
        return 4L * data.length;
    }
}
