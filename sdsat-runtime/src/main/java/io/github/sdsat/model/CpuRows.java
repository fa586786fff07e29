package io.github.sdsat.model;

/**
 * The row-wise stages of the Java CPU pass ({@link CpuForward}) that read only their own row: RMSNorm, scaling and
 * the residual add. Each row's result depends on nothing but that row, which is part of why a position's logits do
 * not depend on the pass around it (docs/DESIGN.md, "shape-invariant pass").
 */
final class CpuRows {
    private CpuRows() {}

    /**
     * HF's LlamaRMSNorm: gain ⊙ (x / sqrt(mean(x²) + eps)), for {@code rows} rows of {@code in} from offset {@code
     * inOff} into {@code out} from 0. The gain multiplies the activations here, not the next linear's weights.
     */
    static void rmsNormalize(float[] in, int inOff, float[] out, int rows, int width, float[] gain, float epsilon) {
        for (int r = 0; r < rows; r++) {
            int from = inOff + r * width;
            double squares = 0;
            for (int i = 0; i < width; i++) {
                float v = in[from + i];
                squares += v * v;
            }
            float rms = (float) Math.sqrt((float) (squares / width) + epsilon);
            for (int i = 0; i < width; i++) {
                out[r * width + i] = (in[from + i] / rms) * gain[i];
            }
        }
    }

    /** v[off, off + n) *= factor. */
    static void scale(float[] v, int off, int n, float factor) {
        for (int i = off; i < off + n; i++) {
            v[i] *= factor;
        }
    }

    /** x[r, 0..width) += y[r, 0..width) for rows r < rows, y's rows {@code yStride} apart (padded). */
    static void addInto(float[] x, float[] y, int rows, int width, int yStride) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < width; i++) {
                x[r * width + i] += y[r * yStride + i];
            }
        }
    }
}
