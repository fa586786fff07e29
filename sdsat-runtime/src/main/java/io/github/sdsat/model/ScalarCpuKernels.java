package io.github.sdsat.model;

/** Plain-Java kernels: the fallback without the vector module, and the reference the vector kernels are tested on. */
final class ScalarCpuKernels implements CpuKernels {
    private static final int TILE = 64;

    @Override
    public int tileWidth() {
        return TILE;
    }

    @Override
    public String name() {
        return "scalar";
    }

    /** Float32 weights, or bfloat16 ones widened exactly (their bits into the high half) as they are read. */
    @Override
    public void matmul(float[] x, int rows, PackedMatrix w, float[] y, int fromTile, int toTile) {
        int in = w.in;
        int stride = w.paddedOut();
        float[] data = w.data;
        short[] halves = w.halves;
        float[] acc = new float[TILE];
        for (int t = fromTile; t < toTile; t++) {
            int base = t * in * TILE;
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(acc, 0f);
                for (int i = 0; i < in; i++) {
                    float xi = x[r * in + i];
                    int wi = base + i * TILE;
                    if (halves != null) { // one branch per input, outside the loop over the tile's columns
                        for (int c = 0; c < TILE; c++) {
                            acc[c] += Float.intBitsToFloat(halves[wi + c] << 16) * xi;
                        }
                    } else {
                        for (int c = 0; c < TILE; c++) {
                            acc[c] += data[wi + c] * xi;
                        }
                    }
                }
                System.arraycopy(acc, 0, y, r * stride + t * TILE, TILE);
            }
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void scores(
            float[] q,
            int qOff,
            float[] keys,
            int keyOff,
            int stride,
            int[] slots,
            int slotsOff,
            int count,
            int width,
            float[] scores) {
        for (int j = 0; j < count; j++) {
            scores[j] = dot(q, qOff, keys, keyOff + slots[slotsOff + j] * stride, width);
        }
    }

    @Override
    public void weightedSum(
            float[] weights,
            int[] slots,
            int slotsOff,
            int count,
            float[] values,
            int valueOff,
            int stride,
            int width,
            float[] out,
            int outOff) {
        java.util.Arrays.fill(out, outOff, outOff + width, 0f);
        for (int j = 0; j < count; j++) {
            axpy(weights[j], values, valueOff + slots[slotsOff + j] * stride, out, outOff, width);
        }
    }

    @Override
    public void softmax(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, x[j]);
        }
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            float e = PolynomialExp.exp(x[j] - max); // the vector kernels' exp, bit for bit
            x[j] = e;
            sum += e;
        }
        for (int j = 0; j < n; j++) {
            x[j] /= sum;
        }
    }

    @Override
    public void siluTimes(float[] in, int gateOff, int upOff, float[] out, int outOff, int n) {
        for (int j = 0; j < n; j++) {
            float gate = in[gateOff + j];
            float sigmoid = 1f / (1f + PolynomialExp.exp(-gate));
            out[outOff + j] = gate * sigmoid * in[upOff + j];
        }
    }
}
