package io.github.sdsat.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.sdsat.model.DjlForward;
import io.github.sdsat.model.FoldedWeights;
import io.github.sdsat.model.LlamaParameters;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Forward pass, weighted cross-entropy and backward pass for one {@link TrainingBatch}, and the same forward without
 * gradients for evaluation.
 *
 * <p>Each call runs in its own sub-manager that is closed before returning, so nothing accumulates over a run: the
 * folded weights (re-derived from the raw parameters inside the gradient recorder, so gradients reach the HF
 * tensors), activations, logits and gradient views all live there.
 */
public final class TrainingStep implements AutoCloseable {
    /** Per-token outcomes of one forward pass, copied to Java. */
    public record Outcome(float[] crossEntropy, boolean[] argmaxCorrect, boolean[] agreesWithTeacher, double loss) {
        /** Mean cross-entropy over the inputs of one kind ({@link TrainingBatch#kinds()}); NaN if there are none. */
        public double meanLoss(TrainingBatch batch, byte kind) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < crossEntropy.length; i++) {
                if (batch.kinds()[i] == kind) {
                    sum += crossEntropy[i];
                    n++;
                }
            }
            return n == 0 ? Double.NaN : sum / n;
        }

        /**
         * Share of inputs of one kind with a teacher whose argmax equals the teacher's argmax (for SAT inputs: the
         * draft the model itself would accept when the prefix is the true text); NaN if there are none.
         */
        public double teacherAgreement(TrainingBatch batch, byte kind) {
            if (batch.teacher() == null) {
                return Double.NaN;
            }
            int hit = 0;
            int n = 0;
            for (int i = 0; i < agreesWithTeacher.length; i++) {
                if (batch.kinds()[i] == kind && batch.teacher()[i] >= 0) {
                    hit += agreesWithTeacher[i] ? 1 : 0;
                    n++;
                }
            }
            return n == 0 ? Double.NaN : (double) hit / n;
        }

        /** Share of inputs of one kind whose argmax is the target; NaN if there are none. */
        public double accuracy(TrainingBatch batch, byte kind) {
            int hit = 0;
            int n = 0;
            for (int i = 0; i < argmaxCorrect.length; i++) {
                if (batch.kinds()[i] == kind) {
                    hit += argmaxCorrect[i] ? 1 : 0;
                    n++;
                }
            }
            return n == 0 ? Double.NaN : (double) hit / n;
        }
    }

    private final LlamaParameters parameters;
    private final DjlForward model;

    public TrainingStep(LlamaParameters parameters) {
        this.parameters = parameters;
        this.model = DjlForward.forTraining(parameters.config(), parameters.manager());
        for (NDArray p : parameters.tensors().values()) {
            p.setRequiresGradient(true);
        }
    }

    public LlamaParameters parameters() {
        return parameters;
    }

    /**
     * Forward + backward; hands the gradients to {@code update} (e.g. an optimiser step) while they are alive, then
     * zeroes them.
     */
    public Outcome trainOn(TrainingBatch batch, java.util.function.Consumer<Map<String, NDArray>> update) {
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager step = parameters.manager().newSubManager()) {
            Outcome outcome;
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray[] lossAndCe = lossOf(batch, step);
                collector.backward(lossAndCe[0]);
                outcome = outcomeOf(lossAndCe, batch);
            }
            Map<String, NDArray> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : parameters.tensors().entrySet()) {
                NDArray g = JniUtils.getGradient((PtNDArray) e.getValue());
                g.attach(step);
                gradients.put(e.getKey(), g);
            }
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try {
                update.accept(gradients);
            } finally {
                JniUtils.setGradMode(gradMode);
                for (NDArray p : parameters.tensors().values()) {
                    JniUtils.zeroGrad((PtNDArray) p);
                }
            }
            return outcome;
        }
    }

    /** Forward only, without recording gradients (held-out evaluation). */
    public Outcome evaluate(TrainingBatch batch) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager step = parameters.manager().newSubManager()) {
            return outcomeOf(lossOf(batch, step), batch);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Logits [rows, length, vocab] of a batch without gradients, attached to {@code manager}. */
    public NDArray logits(TrainingBatch batch, NDManager manager) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            FoldedWeights w = FoldedWeights.fold(parameters, manager, manager.getDevice(), DataType.FLOAT32);
            return forward(w, batch, manager);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    private NDArray forward(FoldedWeights w, TrainingBatch batch, NDManager step) {
        Shape shape = new Shape(batch.rows(), batch.length());
        NDArray tokens = step.create(batch.tokens(), shape);
        NDArray positions = step.create(batch.positions(), shape);
        NDArray mask = batch.mask() == null
                ? null
                : step.create(batch.mask(), new Shape(batch.rows(), batch.length(), batch.length()));
        return model.forward(w, tokens, positions, mask, null, 0);
    }

    /** {loss (scalar), per-token cross-entropy [rows·length], per-token argmax [rows·length]}. */
    private NDArray[] lossOf(TrainingBatch batch, NDManager step) {
        FoldedWeights w = FoldedWeights.fold(parameters, step, step.getDevice(), DataType.FLOAT32);
        NDArray logits = forward(w, batch, step);
        int vocab = parameters.config().vocabSize();
        long n = (long) batch.rows() * batch.length();
        PtNDArray flat = JniUtils.reshape((PtNDArray) logits, new long[] {n, vocab});
        PtNDArray logProbs = JniUtils.logSoftmax(flat, -1, DataType.FLOAT32);
        PtNDArray targets = (PtNDArray) step.create(batch.targets(), new Shape(n, 1));
        PtNDArray picked = JniUtils.reshape(JniUtils.gather(logProbs, targets, 1), new long[] {n});
        NDArray crossEntropy = picked.neg();
        NDArray weights = step.create(batch.weights(), new Shape(n));
        NDArray loss = crossEntropy.mul(weights).sum();
        if (batch.softWeights() != null) {
            loss = loss.add(distillationLoss(batch, logProbs, step));
        }
        NDArray argmax = flat.argMax(-1);
        for (NDArray a : new NDArray[] {crossEntropy, loss, argmax}) {
            a.attach(step);
        }
        return new NDArray[] {loss, crossEntropy, argmax};
    }

    /**
     * Σ softWeight · CE(teacher distribution, student) over the inputs with a soft weight, the teacher rows detached
     * so that the distillation term moves the SAT rows only.
     */
    private static NDArray distillationLoss(TrainingBatch batch, PtNDArray logProbs, NDManager step) {
        int n = batch.softWeights().length;
        int count = 0;
        for (float w : batch.softWeights()) {
            count += w != 0 ? 1 : 0;
        }
        long[] students = new long[count];
        long[] teachers = new long[count];
        float[] weights = new float[count];
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (batch.softWeights()[i] != 0) {
                students[c] = i;
                teachers[c] = batch.teacher()[i];
                weights[c] = batch.softWeights()[i];
                c++;
            }
        }
        NDArray student = logProbs.get(step.create(students));
        NDArray teacher = logProbs.get(step.create(teachers)).stopGradient().exp();
        NDArray perInput = teacher.mul(student).sum(new int[] {1}).neg();
        return perInput.mul(step.create(weights)).sum();
    }

    private static Outcome outcomeOf(NDArray[] lossAndCe, TrainingBatch batch) {
        float[] ce = lossAndCe[1].toFloatArray();
        long[] argmax = lossAndCe[2].toLongArray();
        boolean[] correct = new boolean[argmax.length];
        boolean[] agrees = new boolean[argmax.length];
        for (int i = 0; i < argmax.length; i++) {
            correct[i] = argmax[i] == batch.targets()[i];
            agrees[i] = batch.teacher() != null && batch.teacher()[i] >= 0 && argmax[i] == argmax[batch.teacher()[i]];
        }
        return new Outcome(ce, correct, agrees, lossAndCe[0].getFloat());
    }

    @Override
    public void close() {
        model.close();
    }
}
