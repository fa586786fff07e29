package io.github.sdsat.model;

/**
 * A weight matrix W [out, in] (PyTorch Linear layout, y = x · Wᵀ) repacked for streaming by the CPU kernels, in
 * float32 ({@link #data}) or as bfloat16 bit patterns ({@link #halves}, 2 bytes per weight, widened exactly inside the
 * kernels: {@link Bf16VectorTiles}).
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
    /** Inputs per step of the blocked transpose in {@link #putRows}. */
    private static final int TRANSPOSE_BLOCK = 64;

    final int out;
    final int in;
    final int tileWidth;
    final int tiles;
    /** [tiles][in][tileWidth], flattened, float32; null when the matrix is stored in bfloat16 ({@link #halves}). */
    final float[] data;
    /**
     * [tiles][in][tileWidth], flattened, bfloat16 bits (the high 16 bits of the float32 value); null for float32.
     * Why not widen at load: a 7B model is 13 GB in bfloat16 and 27 GB in float32, and a pass that streams its
     * weights from memory takes half the time when they are half the bytes.
     */
    final short[] halves;
    /**
     * Whether passes stream this matrix from memory rather than from the last-level cache (the model's weights are
     * several times the cache): the float32 kernels then use smaller row blocks ({@link VectorCpuKernels}); the
     * bfloat16 kernels take the same blocks either way ({@link Bf16VectorTiles}). Reports say it ({@code describe()}).
     */
    boolean streamedFromMemory;

    private PackedMatrix(int out, int in, int tileWidth, float[] data, short[] halves) {
        this.out = out;
        this.in = in;
        this.tileWidth = tileWidth;
        this.tiles = (out + tileWidth - 1) / tileWidth;
        this.data = data;
        this.halves = halves;
    }

    /** Packs a row-major W [out, in]. */
    static PackedMatrix pack(float[] rowMajor, int out, int in, int tileWidth) {
        if ((long) out * in != rowMajor.length) {
            throw new IllegalArgumentException(
                    "Weight of " + rowMajor.length + " floats is not [" + out + ", " + in + "]");
        }
        PackedMatrix packed = allocate(out, in, tileWidth, false);
        packed.putRows(0, rowMajor, 0, out);
        return packed;
    }

    /**
     * A zero matrix [out, in] to be filled row block by row block ({@link #putRows}): how a checkpoint is packed
     * without ever holding a whole tensor in float32 ({@link CheckpointPacker}).
     *
     * @param bfloat16 store the weights as bfloat16 bits ({@link #halves}) instead of float32
     */
    static PackedMatrix allocate(int out, int in, int tileWidth, boolean bfloat16) {
        long size = elements(out, in, tileWidth);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "Weight [" + out + ", " + in + "] is too large for one Java array on the " + "CPU path (" + size
                            + " weights): run it with -Dsdsat.cpuKernels=djl");
        }
        return bfloat16
                ? new PackedMatrix(out, in, tileWidth, null, new short[(int) size])
                : new PackedMatrix(out, in, tileWidth, new float[(int) size], null);
    }

    /** Weights a packed [out, in] holds: whole tiles, the last one zero-padded. */
    static long elements(int out, int in, int tileWidth) {
        return (long) ((out + tileWidth - 1) / tileWidth) * in * tileWidth;
    }

    /** Writes rows [firstRow, firstRow + count) of W from {@code rows[from ..]}, row-major [count, in] float32. */
    void putRows(int firstRow, float[] rows, int from, int count) {
        checkRows(firstRow, count, rows.length - from, false);
        transpose(firstRow, from, count, (src, dst, n) -> {
            for (int i = 0; i < n; i++) {
                data[dst + i * tileWidth] = rows[src + i];
            }
        });
    }

    /** As {@link #putRows(int, float[], int, int)} for a bfloat16 matrix, from bfloat16 bits. */
    void putRows(int firstRow, short[] rows, int from, int count) {
        checkRows(firstRow, count, rows.length - from, true);
        transpose(firstRow, from, count, (src, dst, n) -> {
            for (int i = 0; i < n; i++) {
                halves[dst + i * tileWidth] = rows[src + i];
            }
        });
    }

    /** Copies n inputs of one weight row, {@code rows[src + i]} to tile position {@code dst + i * tileWidth}. */
    @FunctionalInterface
    private interface RowPieceCopy {
        void copy(int src, int dst, int n);
    }

    /**
     * The blocked transpose of {@link #putRows}: a tile's rows at a time, TRANSPOSE_BLOCK inputs at a time, so the
     * tile columns written stay in L1 (16 KB) while every row of the tile fills them, instead of one cache line per
     * weight (a 7B model has 6.7G).
     */
    private void transpose(int firstRow, int from, int count, RowPieceCopy copy) {
        for (int r0 = 0; r0 < count; ) {
            int r1 = Math.min(count, r0 + tileWidth - (firstRow + r0) % tileWidth);
            for (int i0 = 0; i0 < in; i0 += TRANSPOSE_BLOCK) {
                int i1 = Math.min(in, i0 + TRANSPOSE_BLOCK);
                for (int r = r0; r < r1; r++) {
                    int o = firstRow + r;
                    int dst = (o / tileWidth) * in * tileWidth + o % tileWidth;
                    copy.copy(from + r * in + i0, dst + i0 * tileWidth, i1 - i0);
                }
            }
            r0 = r1;
        }
    }

    private void checkRows(int firstRow, int count, int available, boolean bfloat16) {
        if (bfloat16 != (halves != null)) {
            throw new IllegalStateException("a " + (halves != null ? "bfloat16" : "float32") + " matrix is filled with "
                    + (bfloat16 ? "bfloat16" : "float32") + " rows");
        }
        if (firstRow < 0 || count < 0 || firstRow + count > out || (long) count * in > available) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + count) + ") of a [" + out + ", "
                    + in + "] matrix from " + available + " values");
        }
    }

    /** Row stride of an output buffer for this matrix: {@code out} rounded up to whole tiles. */
    int paddedOut() {
        return tiles * tileWidth;
    }

    /** Bytes of weights a pass streams through this matrix: 4 per float32 weight, 2 per bfloat16 weight. */
    long bytes() {
        return data != null ? 4L * data.length : 2L * halves.length;
    }
}
