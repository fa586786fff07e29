package io.github.sdsat.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.LlamaArchitecture;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * AdamW (Loshchilov &amp; Hutter) with the exact update order of {@code torch.optim.AdamW}, written with in-place
 * NDArray ops on the parameters:
 *
 * <pre>
 *   p ← p · (1 − lr·λ)                        (decoupled weight decay, only for decayed tensors)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 *
 * <p>Gradients are scaled by {@code min(1, maxNorm / ‖g‖)} (global L2 norm over all tensors) before the update.
 * Which tensors decay is the caller's choice ({@link #decaysLinearWeightsOnly}): decaying RMSNorm gains pulls them
 * towards 0, which is not a regulariser but a bias, and the embedding rows of rare tokens would be shrunk on every
 * step although they almost never receive gradient.
 */
public final class AdamW implements AutoCloseable {
    /** Hyper-parameters that stay fixed during a run (the learning rate comes per step from a schedule). */
    public record Settings(double beta1, double beta2, double epsilon, double weightDecay, double maxGradNorm) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException(
                        "AdamW betas must lie in [0, 1), got beta1=" + beta1 + " beta2=" + beta2);
            }
            if (!(epsilon > 0) || !(weightDecay >= 0) || !(maxGradNorm > 0)) {
                throw new IllegalArgumentException("AdamW needs epsilon > 0, weightDecay >= 0 and maxGradNorm > 0, "
                        + "got " + epsilon + ", " + weightDecay + ", " + maxGradNorm);
            }
        }
    }

    /** Decays 2-D projection weights; leaves norms and the token embedding (tied or not) alone. */
    public static Predicate<String> decaysLinearWeightsOnly() {
        return name -> LlamaArchitecture.parse(name)
                .map(tensor -> tensor.part().kind() == LlamaArchitecture.Kind.LINEAR)
                .orElse(false);
    }

    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private final Set<String> decayed;
    private long step;

    /**
     * @param parameters the live tensors to update in place (by name, in a fixed order)
     * @param decay which names get weight decay
     */
    public AdamW(Settings settings, Map<String, NDArray> parameters, Predicate<String> decay, NDManager parent) {
        this.settings = settings;
        this.manager = parent.newSubManager();
        this.parameters = new LinkedHashMap<>(parameters);
        this.decayed = new java.util.HashSet<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            firstMoments.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            secondMoments.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            if (decay.test(e.getKey())) {
                decayed.add(e.getKey());
            }
        }
    }

    public Settings settings() {
        return settings;
    }

    /** Number of updates applied so far (t in the bias corrections). */
    public long step() {
        return step;
    }

    /**
     * Applies one update.
     *
     * @param gradients a gradient for every parameter (same names and shapes)
     * @param learningRate this step's learning rate
     * @return the global gradient norm before clipping
     */
    public double update(Map<String, NDArray> gradients, double learningRate) {
        if (!gradients.keySet().equals(parameters.keySet())) {
            throw new IllegalArgumentException(
                    "AdamW got gradients for " + gradients.keySet().size() + " tensors but holds " + parameters.size()
                            + " parameters; the names must match");
        }
        try (NDManager temporaries = manager.newSubManager()) {
            double sumSquares = 0;
            for (NDArray g : gradients.values()) {
                NDArray s = g.square().sum();
                s.attach(temporaries);
                sumSquares += s.getFloat();
            }
            double norm = Math.sqrt(sumSquares);
            if (!Double.isFinite(norm)) {
                throw new IllegalStateException("Gradient norm is " + norm + " at optimiser step " + (step + 1)
                        + ": training diverged; lower the learning rate or raise warmup");
            }
            double clip = norm > settings.maxGradNorm() ? settings.maxGradNorm() / norm : 1.0;
            step++;
            double b1 = settings.beta1();
            double b2 = settings.beta2();
            double biasCorrection1 = 1 - Math.pow(b1, step);
            double biasCorrection2 = 1 - Math.pow(b2, step);
            float stepSize = (float) (learningRate / biasCorrection1);
            float sqrtBias2 = (float) Math.sqrt(biasCorrection2);
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                String name = e.getKey();
                NDArray p = e.getValue();
                NDArray g = gradients.get(name);
                if (clip < 1.0) {
                    g = own(g.mul((float) clip), temporaries);
                }
                NDArray m = firstMoments.get(name);
                NDArray v = secondMoments.get(name);
                m.muli((float) b1).addi(own(g.mul((float) (1 - b1)), temporaries));
                v.muli((float) b2).addi(own(g.square(), temporaries).muli((float) (1 - b2)));
                if (decayed.contains(name) && settings.weightDecay() > 0) {
                    p.muli((float) (1 - learningRate * settings.weightDecay()));
                }
                NDArray denominator = own(v.sqrt(), temporaries).divi(sqrtBias2).addi((float) settings.epsilon());
                p.subi(own(m.div(denominator), temporaries).muli(stepSize));
            }
            return norm;
        }
    }

    private static NDArray own(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }

    /** Moments as Java arrays ("m." / "v." + parameter name), for the training state on disk. */
    public Map<String, float[]> stateArrays() {
        Map<String, float[]> out = new LinkedHashMap<>();
        firstMoments.forEach((k, v) -> out.put("m." + k, v.toFloatArray()));
        secondMoments.forEach((k, v) -> out.put("v." + k, v.toFloatArray()));
        return out;
    }

    /** Restores the moments and step counter saved by {@link #stateArrays()}. */
    public void restore(Map<String, float[]> state, long restoredStep) {
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            for (String prefix : new String[] {"m.", "v."}) {
                float[] data = state.get(prefix + e.getKey());
                NDArray target = (prefix.equals("m.") ? firstMoments : secondMoments).get(e.getKey());
                if (data == null || data.length != target.getShape().size()) {
                    throw new IllegalArgumentException("Optimiser state lacks " + prefix + e.getKey() + " or its "
                            + "size differs from the parameter: the train-state folder belongs to another model; "
                            + "delete it to start over");
                }
                target.set(data);
            }
        }
        this.step = restoredStep;
    }

    @Override
    public void close() {
        manager.close();
    }
}
