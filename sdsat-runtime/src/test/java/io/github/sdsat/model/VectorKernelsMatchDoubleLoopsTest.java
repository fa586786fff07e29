package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels against plain double-precision loops written here (not the scalar kernels, which share the
 * packing code): every special-cased width (the four-register scores path at width == tileWidth() = 4 vectors, 64
 * with AVX-512 and 32 with AVX2, so it runs on any CPU), head sizes 64 and 128, widths that are not a multiple of
 * the vector length, key offsets and strides wider than a head (grouped-query caches), and the matrix product at
 * every row count 1..13 (every row-block kernel, the 6-row blocks where the CPU has them, 8 = 4 + 4, and the
 * remainders) with input sizes that are not a multiple of the vector length.
 */
class VectorKernelsMatchDoubleLoopsTest {
    private static CpuKernels vector;

    @BeforeAll
    static void vectorKernels() {
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector"))
                .as("the tests run with --add-modules jdk.incubator.vector (sdsat.testArgLine)")
                .isPresent();
        vector = new VectorCpuKernels();
    }

    @Test
    void scoresMatchAtEveryWidthOffsetAndStride() {
        int quad = vector.tileWidth(); // the four-register path
        Random random = new Random(1);
        for (int width : new int[] {quad, 16, 24, 64, 100, 128, quad - 1, quad + 1}) {
            for (int keyOff : new int[] {0, width, 3}) {
                int stride = 3 * width + 5; // three kv heads and an unaligned row
                int count = 13;
                float[] q = gaussian(random, 2 * width + 7);
                int qOff = 7 + width;
                float[] keys = gaussian(random, keyOff + count * stride + width);
                float[] got = new float[count];
                int[] slots = someSlots(count, 3);
                vector.scores(q, qOff, keys, keyOff, stride, slots, 3, count, width, got);
                for (int j = 0; j < count; j++) {
                    double expected = 0;
                    for (int d = 0; d < width; d++) {
                        expected += (double) q[qOff + d] * keys[keyOff + slots[3 + j] * stride + d];
                    }
                    assertThat((double) got[j])
                            .as("scores width %d keyOff %d key %d", width, keyOff, j)
                            .isCloseTo(expected, within(1e-4 * Math.sqrt(width)));
                }
            }
        }
    }

    @Test
    void weightedSumsMatchAtEveryWidthOffsetAndStride() {
        int quad = vector.tileWidth();
        Random random = new Random(2);
        for (int width : new int[] {quad, 2 * quad, 64, 100, 128, quad - 1, quad + 3}) {
            int stride = 2 * width + 3;
            int count = 11;
            int valueOff = width + 1;
            float[] weights = gaussian(random, count);
            float[] values = gaussian(random, valueOff + count * stride + width);
            float[] out = gaussian(random, width + 9); // garbage to be overwritten
            int outOff = 5;
            int[] slots = someSlots(count, 2);
            vector.weightedSum(weights, slots, 2, count, values, valueOff, stride, width, out, outOff);
            for (int d = 0; d < width; d++) {
                double expected = 0;
                for (int j = 0; j < count; j++) {
                    expected += (double) weights[j] * values[valueOff + slots[2 + j] * stride + d];
                }
                assertThat((double) out[outOff + d])
                        .as("weightedSum width %d column %d", width, d)
                        .isCloseTo(expected, within(1e-5));
            }
        }
    }

    @Test
    void matmulMatchesAtEveryRowCount() {
        Random random = new Random(3);
        for (int in : new int[] {100, 64, 13}) {
            int out = 2 * vector.tileWidth() + 5; // three tiles, the last one padded
            float[] w = gaussian(random, out * in);
            PackedMatrix packed = PackedMatrix.pack(w, out, in, vector.tileWidth());
            for (int rows = 1; rows <= 13; rows++) {
                float[] x = gaussian(random, rows * in);
                float[] y = new float[rows * packed.paddedOut()];
                vector.matmul(x, rows, packed, y, 0, packed.tiles);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < out; c++) {
                        double expected = 0;
                        for (int i = 0; i < in; i++) {
                            expected += (double) x[r * in + i] * w[c * in + i];
                        }
                        assertThat((double) y[r * packed.paddedOut() + c])
                                .as("matmul in %d rows %d: row %d column %d", in, rows, r, c)
                                .isCloseTo(expected, within(1e-4));
                    }
                }
            }
        }
    }

    @Test
    void dotAxpySoftmaxAndSiluMatchAtLengthsThatAreNotAVectorMultiple() {
        Random random = new Random(4);
        for (int n : new int[] {1, 7, 64, 100, 129}) {
            float[] a = gaussian(random, n + 3);
            float[] b = gaussian(random, n + 5);
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) a[3 + i] * b[5 + i];
            }
            assertThat((double) vector.dot(a, 3, b, 5, n)).as("dot n %d", n).isCloseTo(dot, within(1e-4));
            float[] y = b.clone();
            vector.axpy(0.75f, a, 3, y, 5, n);
            for (int i = 0; i < n; i++) {
                assertThat((double) y[5 + i])
                        .as("axpy n %d index %d", n, i)
                        .isCloseTo(b[5 + i] + 0.75 * a[3 + i], within(1e-6));
            }
            float[] x = gaussian(random, n);
            if (n > 1) {
                x[n / 2] = Float.NEGATIVE_INFINITY; // becomes 0
            }
            float[] soft = x.clone();
            vector.softmax(soft, n);
            double max = Double.NEGATIVE_INFINITY;
            for (float v : x) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : x) {
                sum += Math.exp(v - max);
            }
            for (int i = 0; i < n; i++) {
                double expected = Math.exp(x[i] - max) / sum;
                assertThat((double) soft[i]).as("softmax n %d index %d", n, i).isCloseTo(expected, within(1e-6));
            }
            float[] in = gaussian(random, 2 * n + 2);
            float[] silu = new float[n + 1];
            vector.siluTimes(in, 2, n + 2, silu, 1, n);
            for (int j = 0; j < n; j++) {
                double g = in[2 + j];
                double expected = g / (1 + Math.exp(-g)) * in[n + 2 + j];
                assertThat((double) silu[1 + j])
                        .as("siluTimes n %d index %d", n, j)
                        .isCloseTo(expected, within(1e-5));
            }
        }
    }

    /** Slots 0..count-1 in a scrambled order from {@code offset} on (count not a multiple of 5): any list goes. */
    private static int[] someSlots(int count, int offset) {
        int[] slots = new int[offset + count];
        for (int j = 0; j < count; j++) {
            slots[offset + j] = (5 * j + 1) % count;
        }
        return slots;
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }

    private static float[] gaussian(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }
}
