package io.github.sdsat.train;

import java.util.List;

/** The held-out evaluation a training phase runs every {@code evalEvery} steps and when an invocation ends. */
final class HeldOutEvaluation {
    private HeldOutEvaluation() {}

    /**
     * Mean cross-entropy and argmax accuracy over the standard and the SAT targets of {@code heldOut}, and the SAT
     * inputs' agreement with the model's own argmax (NaN where the batches have no SAT targets).
     */
    static TrainingPhase.EvalRecord of(TrainingStep step, List<TrainingBatch> heldOut, long at) {
        // sums and counts: [0] standard cross-entropy, [1] standard correct, [2] SAT cross-entropy, [3] SAT correct
        double[] sums = new double[4];
        int[] counts = new int[4];
        double agreement = 0;
        int agreementBatches = 0;
        for (TrainingBatch b : heldOut) {
            TrainingStep.Outcome o = step.evaluate(b);
            double a = o.teacherAgreement(b, TrainingBatch.SAT);
            if (!Double.isNaN(a)) {
                agreement += a;
                agreementBatches++;
            }
            for (int i = 0; i < b.kinds().length; i++) {
                int k = b.kinds()[i] == TrainingBatch.STANDARD ? 0 : b.kinds()[i] == TrainingBatch.SAT ? 2 : -1;
                if (k >= 0) {
                    sums[k] += o.crossEntropy()[i];
                    sums[k + 1] += o.argmaxCorrect()[i] ? 1 : 0;
                    counts[k]++;
                }
            }
        }
        return new TrainingPhase.EvalRecord(
                at,
                sums[0] / counts[0],
                sums[1] / counts[0],
                counts[2] == 0 ? Double.NaN : sums[2] / counts[2],
                counts[2] == 0 ? Double.NaN : sums[3] / counts[2],
                agreementBatches == 0 ? Double.NaN : agreement / agreementBatches);
    }
}
