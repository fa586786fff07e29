package io.github.sdsat.model;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix product of {@link VectorCpuKernels} for weights stored as bfloat16 ({@link PackedMatrix#halves}): the
 * same tiles and, per row and lane, the same sequence of fused multiply-adds, with each weight vector widened to
 * float32 as it is loaded. Widening bfloat16 is exact (its bits are the high half of the float32 value: zero-extend
 * to int, shift left by 16, reinterpret as float), so a bfloat16 model gives bit for bit the logits of the same values
 * stored as float32 ({@code HalfPrecisionCheckpointTest}).
 *
 * <p>The plan: each tile is walked in chunks of {@value #CHUNK} inputs (16 KB of bfloat16 weights with AVX-512), and
 * every row block of the pass multiplies the chunk before the next is read, adding to its rows of y (zeroed before
 * the first chunk). So the weights stream from memory once per pass whatever the number of rows, and the later
 * blocks of a chunk read it from L1. Why: a 7B model's tile is 0.5-1.4 MB (4096-11008 inputs x 128 bytes), more than
 * the core's L2, so whole-tile blocks re-read it from memory (the old plan of 2-3-row blocks for streamed weights
 * gave T(4)/T(1) = 1.45 on the 7B shape, docs/PERFORMANCE.md section 7). A block is as large as the registers allow
 * (6 rows with AVX-512), because a second block's walk of the chunk does not overlap the memory stream (measured:
 * 5 rows as 4 + 1 cost as much as 6 rows in one block). Storing and reloading an accumulator keeps its bits, and
 * each block runs the same multiply-adds per row, so a row's result depends on neither the chunking nor its block.
 */
final class Bf16VectorTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE = 4 * L;
    /** Inputs per chunk: 128 x 4 vectors of bfloat16 is 16 KB with AVX-512, a third of L1 with x and y beside it. */
    static final int CHUNK = 128;
    /** L bfloat16 values: half the float vector's bits (256-bit loads with AVX-512, 128-bit with AVX2). */
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /** L ints: the widened bit patterns before they are reinterpreted as floats. */
    private static final VectorSpecies<Integer> BITS =
            VectorSpecies.of(int.class, VectorShape.forBitSize(S.vectorBitSize()));
    /**
     * Rows per block at most: 6 (24 accumulators + 4 weights) only with AVX-512's 32 vector registers, else 4 (as
     * {@link VectorCpuKernels}).
     */
    private static final int MAX_BLOCK = S.vectorBitSize() >= 512 ? 6 : 4;

    private Bf16VectorTiles() {}

    /** Columns per tile: {@link VectorCpuKernels#tileWidth()}. */
    static int tileWidth() {
        return TILE;
    }

    /** y = x · Wᵀ for the output tiles [fromTile, toTile) of a bfloat16 {@code w}; see {@link CpuKernels#matmul}. */
    static void matmul(float[] x, int rows, PackedMatrix w, float[] y, int fromTile, int toTile) {
        if (w.tileWidth != TILE || w.halves == null) {
            throw new IllegalStateException("Matrix packed for tiles of " + w.tileWidth + " in "
                    + (w.halves == null ? "float32" : "bfloat16") + ", these kernels need bfloat16 tiles of " + TILE);
        }
        int in = w.in;
        int stride = w.paddedOut();
        short[] data = w.halves;
        for (int t = fromTile; t < toTile; t++) {
            int col = t * TILE;
            for (int r = 0; r < rows; r++) { // the kernels add to y: +0.0, as the float32 kernels' accumulators start
                Arrays.fill(y, r * stride + col, r * stride + col + TILE, 0f);
            }
            for (int from = 0; from < in; from += CHUNK) {
                int count = Math.min(CHUNK, in - from);
                int wOff = (t * in + from) * TILE;
                for (int r = 0; r < rows; ) {
                    int block = blockRows(rows - r);
                    int xOff = r * in + from;
                    int yOff = r * stride + col;
                    switch (block) {
                        case 6 -> Bf16RowKernels.rows6(x, xOff, in, data, wOff, count, y, yOff, stride);
                        case 5 -> Bf16RowKernels.rows5(x, xOff, in, data, wOff, count, y, yOff, stride);
                        case 4 -> Bf16RowKernels.rows4(x, xOff, in, data, wOff, count, y, yOff, stride);
                        case 3 -> Bf16RowKernels.rows3(x, xOff, in, data, wOff, count, y, yOff, stride);
                        case 2 -> Bf16RowKernels.rows2(x, xOff, in, data, wOff, count, y, yOff, stride);
                        default -> Bf16RowKernels.rows1(x, xOff, in, data, wOff, count, y, yOff, stride);
                    }
                    r += block;
                }
            }
        }
    }

    /**
     * Rows of the next block when {@code left} rows remain: all of them when they fit one block, 7 and 8 rows as 4 + 3
     * and 4 + 4 (as {@link VectorCpuKernels} splits 8), else the largest block.
     */
    static int blockRows(int left) {
        if (left <= MAX_BLOCK) {
            return left;
        }
        return left <= 8 ? 4 : MAX_BLOCK;
    }

    /**
     * L bfloat16 weights from {@code w[at ..]} as float32, exactly: the shorts are widened to ints (sign-extended,
     * but the shift drops those bits), shifted into the high half, and the bits read as floats.
     */
    static FloatVector widen(short[] w, int at) {
        return ((IntVector) ShortVector.fromArray(HALVES, w, at).convertShape(VectorOperators.S2I, BITS, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }
}
