package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static final double B1 = 0.9;
    private static final double B2 = 0.95;
    private static final double EPS = 1e-8;
    private static final double WD = 0.1;

    /** torch.optim.AdamW by hand, in doubles. */
    private static double[] reference(
            double[] p, double[][] grads, double[] lrs, boolean decay, double maxNorm, double[][] otherGrads) {
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double[] x = p.clone();
        for (int t = 1; t <= grads.length; t++) {
            double sq = 0;
            for (double g : grads[t - 1]) {
                sq += g * g;
            }
            for (double g : otherGrads[t - 1]) {
                sq += g * g;
            }
            double norm = Math.sqrt(sq);
            double clip = norm > maxNorm ? maxNorm / norm : 1;
            double lr = lrs[t - 1];
            for (int i = 0; i < x.length; i++) {
                double g = grads[t - 1][i] * clip;
                if (decay) {
                    x[i] *= 1 - lr * WD;
                }
                m[i] = B1 * m[i] + (1 - B1) * g;
                v[i] = B2 * v[i] + (1 - B2) * g * g;
                double mHat = m[i] / (1 - Math.pow(B1, t));
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(B2, t)) + EPS;
                // torch: p -= (lr / bc1) * m / (sqrt(v)/sqrt(bc2) + eps)
                x[i] -= lr * mHat / denom;
            }
        }
        return x;
    }

    @Test
    void updatesMatchHandComputedAdamWWithDecayOnlyOnProjectionsAndGlobalClipping() {
        double[] proj = {0.5, -1.25, 2.0};
        double[] norm = {1.0, 0.75};
        double[][] projGrads = {{0.3, -0.2, 1.5}, {-0.4, 0.1, 0.05}, {2.0, -3.0, 0.5}};
        double[][] normGrads = {{0.01, -0.5}, {0.2, 0.2}, {1.0, 1.0}};
        double[] lrs = {0.01, 0.02, 0.015};
        double maxNorm = 1.0; // steps 1 and 3 are clipped, step 2 is not
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray projP = manager.create(toFloat(proj));
            NDArray normP = manager.create(toFloat(norm));
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("model.layers.0.self_attn.q_proj.weight", projP);
            params.put("model.layers.0.input_layernorm.weight", normP);
            try (AdamW adam = new AdamW(
                    new AdamW.Settings(B1, B2, EPS, WD, maxNorm), params, AdamW.decaysLinearWeightsOnly(), manager)) {
                for (int t = 0; t < 3; t++) {
                    Map<String, NDArray> grads = new LinkedHashMap<>();
                    grads.put("model.layers.0.self_attn.q_proj.weight", manager.create(toFloat(projGrads[t])));
                    grads.put("model.layers.0.input_layernorm.weight", manager.create(toFloat(normGrads[t])));
                    double reported = adam.update(grads, lrs[t]);
                    double expectedNorm = Math.sqrt(sumSq(projGrads[t]) + sumSq(normGrads[t]));
                    assertThat(reported).isCloseTo(expectedNorm, within(1e-5));
                }
                assertThat(adam.step()).isEqualTo(3);
            }
            double[] expectedProj = reference(proj, projGrads, lrs, true, maxNorm, normGrads);
            double[] expectedNorm = reference(norm, normGrads, lrs, false, maxNorm, projGrads);
            float[] gotProj = projP.toFloatArray();
            float[] gotNorm = normP.toFloatArray();
            for (int i = 0; i < proj.length; i++) {
                assertThat((double) gotProj[i]).isCloseTo(expectedProj[i], within(1e-6));
            }
            for (int i = 0; i < norm.length; i++) {
                assertThat((double) gotNorm[i]).isCloseTo(expectedNorm[i], within(1e-6));
            }
            // the update moved the weights by about lr per step (Adam's normalised step), so the check has teeth
            assertThat(Math.abs(gotProj[0] - proj[0])).isGreaterThan(0.005);
        }
    }

    @Test
    void scheduleWarmsUpLinearlyThenDecaysByCosineToTheFloor() {
        LearningRateSchedule s = new LearningRateSchedule(1e-3, 10, 110, 0.1);
        assertThat(s.at(0)).isCloseTo(1e-4, within(1e-12));
        assertThat(s.at(9)).isCloseTo(1e-3, within(1e-12));
        assertThat(s.at(60)).isCloseTo(1e-3 * (0.1 + 0.9 * 0.5), within(1e-12));
        assertThat(s.at(110)).isCloseTo(1e-4, within(1e-12));
        assertThat(s.at(500)).isCloseTo(1e-4, within(1e-12));
    }

    private static double sumSq(double[] a) {
        double s = 0;
        for (double x : a) {
            s += x * x;
        }
        return s;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
