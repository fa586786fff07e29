package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.TinyModels;
import io.github.sdsat.tokenizer.FimFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SatBlocksTest {
    static final int VOCAB = 97;
    static final long SAT = 6;
    static final long PAD = 7;
    static final FimFormat FIM = new FimFormat(0, 2, 3, 4, 5);

    /** A corpus of random "documents" of ids >= 8 (no specials inside). */
    static TokenizedCorpus randomCorpus(long seed, int documents, int length) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] stream = new int[documents * (length + 2)];
        int[] starts = new int[documents + 1];
        int at = 0;
        for (int d = 0; d < documents; d++) {
            starts[d] = at;
            stream[at++] = 0;
            for (int i = 0; i < length; i++) {
                stream[at++] = 8 + random.nextInt(VOCAB - 8);
            }
            stream[at++] = 1;
        }
        starts[documents] = at;
        return new TokenizedCorpus(stream, starts);
    }

    @Test
    void layoutPutsSatIAtThePositionOfXjPlusIPredictingTheNextTokenWithTheBlockMask() {
        int t = 32;
        PretrainingSamples windows = new PretrainingSamples(randomCorpus(1, 20, 100), FIM, t, 0.3, 0.5, PAD, 11);
        SatBlocks blocks = new SatBlocks(windows, SAT, 24, 7, 4.0, 1.0, 0.0, 12);
        TrainingBatch batch = blocks.batch(3, 4);
        int len = blocks.rowLength();
        assertThat(len).isEqualTo(t + 24);
        int satSeen = 0;
        for (int r = 0; r < 4; r++) {
            PretrainingSamples.Window w = windows.window(3, r);
            for (int q = 0; q < len; q++) {
                int at = r * len + q;
                int maskRow = at * len;
                if (q < t) {
                    assertThat(batch.tokens()[at]).isEqualTo(w.ids()[q]);
                    assertThat(batch.positions()[at]).isEqualTo(q);
                    assertThat(batch.targets()[at]).isEqualTo(w.ids()[q + 1]);
                    for (int c = 0; c < len; c++) {
                        assertThat(batch.mask()[maskRow + c]).isEqualTo(c <= q ? 0f : Float.NEGATIVE_INFINITY);
                    }
                    continue;
                }
                assertThat(batch.tokens()[at]).isEqualTo(SAT);
                // standard columns allowed: 0..j (a prefix); SAT columns allowed: own block up to itself
                int j = -1;
                while (j + 1 < t && batch.mask()[maskRow + j + 1] == 0f) {
                    j++;
                }
                for (int c = j + 1; c < t; c++) {
                    assertThat(batch.mask()[maskRow + c]).isEqualTo(Float.NEGATIVE_INFINITY);
                }
                assertThat(batch.mask()[maskRow + q]).isEqualTo(0f);
                int i = 0;
                for (int c = q; c >= t && batch.mask()[maskRow + c] == 0f; c--) {
                    i++;
                }
                for (int c = q + 1; c < len; c++) {
                    assertThat(batch.mask()[maskRow + c]).isEqualTo(Float.NEGATIVE_INFINITY);
                }
                assertThat(j).isGreaterThanOrEqualTo(0);
                assertThat(i).isBetween(1, 7);
                assertThat(batch.positions()[at]).isEqualTo(j + i);
                if (batch.kinds()[at] == TrainingBatch.SAT) {
                    assertThat(batch.targets()[at]).isEqualTo(w.ids()[j + i + 1]);
                    satSeen++;
                }
            }
        }
        assertThat(satSeen).isGreaterThan(60);
        double satWeight = 0;
        double standardWeight = 0;
        for (int k = 0; k < batch.weights().length; k++) {
            satWeight += batch.kinds()[k] == TrainingBatch.SAT ? batch.weights()[k] : 0;
            standardWeight += batch.kinds()[k] == TrainingBatch.STANDARD ? batch.weights()[k] : 0;
        }
        assertThat(satWeight).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(standardWeight).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void truncatedPoissonLengthsStayWithinOneToLAndFollowTheLaw() {
        double[] cdf = SatBlocks.truncatedPoissonCdf(4.0, 7);
        assertThat(cdf[6]).isEqualTo(1.0);
        // P(1) ∝ 4, P(4) ∝ 4^4/24 = 10.67: the mode of Poisson(4) truncated to 1..7 is 3 or 4
        double p1 = cdf[0];
        double p4 = cdf[3] - cdf[2];
        assertThat(p4 / p1).isCloseTo(4.0 * 4 * 4 / 24, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void standardTokenLogitsAreIdenticalWithAndWithoutSatBlocksAndSatLogitsMatchInferenceFeeding() {
        LlamaConfig config = TinyModels.config(64, 2, 4, 2, VOCAB, false, 10000.0);
        int t = 40;
        PretrainingSamples windows = new PretrainingSamples(randomCorpus(2, 10, 200), FIM, t, 0.3, 0.5, PAD, 21);
        SatBlocks blocks = new SatBlocks(windows, SAT, 20, 7, 4.0, 1.0, 0.0, 22);
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters params = LlamaParameters.initialize(config, manager, 5, 0.08);
                TrainingStep step = new TrainingStep(params);
                NDManager scratch = manager.newSubManager()) {
            TrainingBatch withSat = blocks.batch(7, 3);
            TrainingBatch plain = windows.batch(7, 3);
            int len = blocks.rowLength();
            float[] satLogits = step.logits(withSat, scratch).toFloatArray();
            float[] plainLogits = step.logits(plain, scratch).toFloatArray();
            double maxDiff = 0;
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < t; s++) {
                    for (int v = 0; v < VOCAB; v++) {
                        float a = satLogits[((r * len) + s) * VOCAB + v];
                        float b = plainLogits[((r * t) + s) * VOCAB + v];
                        maxDiff = Math.max(maxDiff, Math.abs(a - b));
                    }
                }
            }
            assertThat(maxDiff).isLessThan(1e-5);

            // SAT i of a block after x_j, fed as inference does ([x_0..x_j, SAT×i], causal), gives the same logits
            int checked = 0;
            for (int q = t; q < len && checked < 6; q++) {
                int at = q; // row 0
                long pos = withSat.positions()[at];
                int i = 0;
                for (int c = q; c >= t && withSat.mask()[at * len + c] == 0f; c--) {
                    i++;
                }
                int j = (int) pos - i;
                int n = j + 1 + i;
                long[] tokens = new long[n];
                long[] positions = new long[n];
                for (int c = 0; c < n; c++) {
                    tokens[c] = c <= j ? withSat.tokens()[c] : SAT;
                    positions[c] = c;
                }
                TrainingBatch inference =
                        new TrainingBatch(1, n, tokens, positions, null, new long[n], new float[n], new byte[n]);
                NDArray logits = step.logits(inference, scratch);
                float[] last = logits.toFloatArray();
                for (int v = 0; v < VOCAB; v++) {
                    assertThat(Math.abs(last[(n - 1) * VOCAB + v] - satLogits[q * VOCAB + v]))
                            .isLessThan(1e-5f);
                }
                checked++;
            }
            assertThat(checked).isEqualTo(6);
        }
    }

    @Test
    void teacherOfEverySatInputIsTheStandardInputPredictingTheSameTokenAndDistillationSplitsTheWeight() {
        int t = 32;
        PretrainingSamples windows = new PretrainingSamples(randomCorpus(3, 20, 100), FIM, t, 0.3, 0.5, PAD, 31);
        SatBlocks blocks = new SatBlocks(windows, SAT, 24, 7, 4.0, 2.0, 0.75, 32);
        TrainingBatch batch = blocks.batch(5, 4);
        int len = blocks.rowLength();
        double hard = 0;
        double soft = 0;
        int sats = 0;
        for (int at = 0; at < batch.kinds().length; at++) {
            int teacher = batch.teacher()[at];
            if (batch.kinds()[at] == TrainingBatch.SAT) {
                sats++;
                assertThat(teacher / len).as("same row").isEqualTo(at / len);
                assertThat(teacher % len).as("a standard input").isLessThan(t);
                assertThat(batch.kinds()[teacher]).isEqualTo(TrainingBatch.STANDARD);
                assertThat(batch.positions()[teacher]).isEqualTo(batch.positions()[at]);
                assertThat(batch.targets()[teacher]).isEqualTo(batch.targets()[at]);
                hard += batch.weights()[at];
                soft += batch.softWeights()[at];
            } else {
                assertThat(teacher).isEqualTo(-1);
                assertThat(batch.softWeights()[at]).isZero();
            }
        }
        assertThat(sats).isGreaterThan(60);
        assertThat(hard).isCloseTo(0.25 * 2.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(soft).isCloseTo(0.75 * 2.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(new SatBlocks(windows, SAT, 24, 7, 4.0, 2.0, 0.0, 32)
                        .batch(5, 4)
                        .softWeights())
                .isNull();
    }

    @Test
    void distillationLossIsTheCrossEntropyAgainstTheDetachedTeacherDistribution() {
        LlamaConfig config = TinyModels.config(32, 1, 2, 2, VOCAB, false, 10000.0);
        int t = 24;
        PretrainingSamples windows = new PretrainingSamples(randomCorpus(4, 10, 120), FIM, t, 0.0, 0.5, PAD, 41);
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters params = LlamaParameters.initialize(config, manager, 6, 0.3);
                TrainingStep step = new TrainingStep(params);
                NDManager scratch = manager.newSubManager()) {
            TrainingBatch distilled = new SatBlocks(windows, SAT, 12, 7, 4.0, 1.0, 1.0, 42).batch(2, 3);
            TrainingBatch hardOnly = new SatBlocks(windows, SAT, 12, 7, 4.0, 1.0, 0.0, 42).batch(2, 3);
            float[] logits = step.logits(distilled, scratch).toFloatArray();
            double expectedSoft = 0;
            double standardPart = 0;
            for (int at = 0; at < distilled.kinds().length; at++) {
                double[] student = logSoftmax(logits, at);
                if (distilled.kinds()[at] == TrainingBatch.STANDARD) {
                    standardPart +=
                            distilled.weights()[at] * -student[(int) distilled.targets()[at]];
                }
                if (distilled.softWeights()[at] != 0) {
                    double[] teacher = logSoftmax(logits, distilled.teacher()[at]);
                    double ce = 0;
                    for (int v = 0; v < VOCAB; v++) {
                        ce -= Math.exp(teacher[v]) * student[v];
                    }
                    expectedSoft += distilled.softWeights()[at] * ce;
                }
            }
            TrainingStep.Outcome outcome = step.evaluate(distilled);
            assertThat(outcome.loss())
                    .isCloseTo(standardPart + expectedSoft, org.assertj.core.data.Offset.offset(1e-4));
            // the soft target differs from the one-hot one, so the two losses differ
            assertThat(Math.abs(step.evaluate(hardOnly).loss() - outcome.loss()))
                    .isGreaterThan(1e-3);
            assertThat(outcome.teacherAgreement(distilled, TrainingBatch.SAT)).isBetween(0.0, 1.0);
        }
    }

    private static double[] logSoftmax(float[] logits, int row) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < VOCAB; v++) {
            max = Math.max(max, logits[row * VOCAB + v]);
        }
        double sum = 0;
        for (int v = 0; v < VOCAB; v++) {
            sum += Math.exp(logits[row * VOCAB + v] - max);
        }
        double[] out = new double[VOCAB];
        for (int v = 0; v < VOCAB; v++) {
            out[v] = logits[row * VOCAB + v] - max - Math.log(sum);
        }
        return out;
    }
}
