package io.github.sdsat.model;

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
 * <p>The row-block plan: a pass of up to 6 rows (4 without AVX-512) is one block, so each tile is read once; for weights
 * streamed from memory (a 7B model's tile is 0.5-1.4 MB, more than the core's L2) this is what keeps a wide pass near
 * the cost of one row: the former plan of 2-3-row blocks, each reading the tile again, gave T(4)/T(1) = 1.45 on the
 * 7B shape (docs/PERFORMANCE.md section 7). Wider passes take blocks of 6 rows (4) and one block of the rest, whether
 * or not the weights are streamed. Measured on the 7B shape's matrices streamed (docs/performance/paper-scale/round5,
 * 2 threads): since the kernels take two inputs per iteration, 7-16 rows run 10-25 % faster in these blocks than in
 * the 2-3-row blocks the float32 kernels keep for streamed weights, and 8 rows 10 % faster as 6 + 2 than as 4 + 4 (the
 * float32 kernels' split; balanced blocks such as 4 + 3 for 7 rows were slower). Measured and not kept: tiles walked
 * in 128-input chunks shared in L1 by every block of the pass ran no faster at 7-8 rows and slower from 9 rows on; the
 * inputs walked in chunks of 512-2048 across all of a worker's tiles (the activations' chunk stays in L1) slowed every
 * width by 7-25 %.
 */
final class Bf16VectorTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE = 4 * L;
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
            int base = t * in * TILE;
            int col = t * TILE;
            int r = 0;
            while (r < rows) {
                int block = Math.min(MAX_BLOCK, rows - r);
                block(block, x, r * in, in, data, base, y, r * stride + col, stride);
                r += block;
            }
        }
    }

    private static void block(
            int rows, float[] x, int xOff, int in, short[] w, int wOff, float[] y, int yOff, int yStride) {
        switch (rows) {
            case 6 -> Bf16RowKernels.rows6(x, xOff, in, w, wOff, y, yOff, yStride);
            case 5 -> Bf16RowKernels.rows5(x, xOff, in, w, wOff, y, yOff, yStride);
            case 4 -> Bf16RowKernels.rows4(x, xOff, in, w, wOff, y, yOff, yStride);
            case 3 -> Bf16RowKernels.rows3(x, xOff, in, w, wOff, y, yOff, yStride);
            case 2 -> Bf16RowKernels.rows2(x, xOff, in, w, wOff, y, yOff, yStride);
            default -> Bf16RowKernels.rows1(x, xOff, in, w, wOff, y, yOff, yStride);
        }
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
