package io.github.sdsat.repro.accuracy;

import io.github.sdsat.repro.support.Attach;
import io.github.sdsat.repro.support.BaselineCache;
import io.github.sdsat.repro.support.LogitProbe;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
import io.github.sdsat.repro.support.Thresholds;
import io.github.sdsat.train.PythonCorpus;
import io.qameta.allure.Allure;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Accuracy preservation: SAT fine-tuning must keep the model's ordinary next-token quality. Held-out standard-token
 * loss of the SDSAT model at most 2% (relative) above the base model's, on CPython stdlib files of the held-out split
 * shipped as test resources. The share of HumanEval prompts whose first 64 greedy tokens agree between base and SDSAT
 * model is attached as report-only data (no gate: see {@link #attachGreedyAgreementReportOnly}).
 */
@Epic("SDSAT reproduction")
@Feature("Accuracy preservation")
class AccuracyPreservationTest {
    /** Longest window per forward pass; longer files are split (each window starts with BOS). */
    private static final int WINDOW = 512;

    private static final int AGREEMENT_TOKENS = 64;

    @Test
    @DisplayName("the held-out files are in the training run's held-out split")
    void heldOutFilesAreHeldOut() {
        checkHeldOutSplit(manifest());
    }

    @Test
    @DisplayName("held-out standard-token loss: sdsat within 2% of base")
    void heldOutLossWithinBound() {
        checkHeldOutLoss(ReproModel.base(), ReproModel.sdsat());
    }

    /** The held-out split gate: every file (test resource name to stdlib path) must be in the held-out split. */
    static void checkHeldOutSplit(Map<String, String> files) {
        for (Map.Entry<String, String> file : files.entrySet()) {
            if (!PythonCorpus.isHeldOut(file.getValue())) {
                throw new AssertionError(file.getKey() + " (stdlib " + file.getValue() + ") is not in PythonCorpus's "
                        + "held-out split: the model trained on it, so its loss is not held-out loss");
            }
        }
    }

    /** The loss gate: {@code candidate}'s held-out loss at most the bound (relative) above {@code base}'s. */
    static void checkHeldOutLoss(ReproModel base, ReproModel candidate) {
        double[] baseLoss = Allure.step(base.role() + " model: held-out loss", () -> loss(base));
        double[] candidateLoss = Allure.step(candidate.role() + " model: held-out loss", () -> loss(candidate));
        checkHeldOutLoss(base.role(), baseLoss, candidate.role(), candidateLoss);
    }

    /**
     * The loss gate's verdict on two measured losses ({@link #loss}: mean nats per token, token count).
     *
     * @return the relative change
     */
    static double checkHeldOutLoss(String baseRole, double[] baseLoss, String candidateRole, double[] candidateLoss) {
        double relative = (candidateLoss[0] - baseLoss[0]) / baseLoss[0];
        double bound = Thresholds.number("accuracy.maxRelativeLossIncrease");
        String summary = String.format(
                Locale.ROOT,
                "held-out standard-token loss over %d tokens of %d files: %s "
                        + "%.5f nats/token, %s %.5f nats/token, relative change %+.3f%% (bound +%.1f%%)",
                (long) baseLoss[1],
                manifest().size(),
                baseRole,
                baseLoss[0],
                candidateRole,
                candidateLoss[0],
                100 * relative,
                100 * bound);
        Attach.text("held-out loss", summary);
        if (relative > bound) {
            throw new AssertionError(summary + ": the fine-tune lost standard-token accuracy");
        }
        return relative;
    }

    /**
     * Report-only data, not a gate: the share of HumanEval prompts whose first 64 greedy tokens are identical for base
     * and sdsat. On the shipped 4M models it is 0 (their flat next-token distributions let SAT fine-tuning move
     * near-tied argmaxes), so no floor above 0 would hold and a floor of 0 could not fail; it is attached to the
     * report after the class's gates, where a stronger model's figure can be read.
     */
    @AfterAll
    static void attachGreedyAgreementReportOnly() {
        ReproModel base = ReproModel.base();
        ReproModel sdsat = ReproModel.sdsat();
        List<ReproPrompt> basePrompts = Prompts.completions(base, Matrix.completionPrompts(), AGREEMENT_TOKENS);
        List<ReproPrompt> sdsatPrompts = Prompts.completions(sdsat, Matrix.completionPrompts(), AGREEMENT_TOKENS);
        int agree = 0;
        StringBuilder table = new StringBuilder("prompt\tagree\tfirst difference\n");
        for (int i = 0; i < basePrompts.size(); i++) {
            long[] a = BaselineCache.greedy(base, basePrompts.get(i), AGREEMENT_TOKENS)
                    .outputIds();
            long[] b = BaselineCache.greedy(sdsat, sdsatPrompts.get(i), AGREEMENT_TOKENS)
                    .outputIds();
            boolean same = Arrays.equals(a, b);
            agree += same ? 1 : 0;
            int first = Arrays.mismatch(a, b);
            table.append(basePrompts.get(i).id())
                    .append('\t')
                    .append(same)
                    .append('\t')
                    .append(first < 0 ? "-" : String.valueOf(first))
                    .append('\n');
        }
        String summary = String.format(
                Locale.ROOT,
                "REPORT ONLY (not a gate): greedy agreement (first %d tokens) of "
                        + "base and sdsat: %d of %d HumanEval prompts = %.3f",
                AGREEMENT_TOKENS,
                agree,
                basePrompts.size(),
                (double) agree / basePrompts.size());
        Attach.text("greedy agreement of base and sdsat (report only)", summary + "\n\n" + table);
    }

    /** Mean cross-entropy (nats per predicted token) over the held-out files, and the token count. */
    static double[] loss(ReproModel model) {
        return HeldOutLogits.of(model).loss(1.0);
    }

    /**
     * The held-out files' logits of one model, every predicted row with its target, kept so that the loss of the
     * same model with its LM head scaled by a factor s (logits x s: s < 1 flattens every next-token distribution,
     * as a fine-tune that lost confidence would) can be computed without another pass.
     */
    record HeldOutLogits(List<float[]> windows, List<long[]> targets, int vocab) {
        static HeldOutLogits of(ReproModel model) {
            int vocab = model.model().config().vocabSize();
            long bos = model.tokenizer().specials().bos();
            List<float[]> windows = new java.util.ArrayList<>();
            List<long[]> targets = new java.util.ArrayList<>();
            for (String file : manifest().keySet()) {
                long[] ids = model.tokenizer().encode(read("/heldout/" + file));
                for (int start = 0; start < ids.length; start += WINDOW - 1) {
                    int end = Math.min(ids.length, start + WINDOW - 1);
                    long[] window = new long[end - start + 1];
                    window[0] = bos;
                    System.arraycopy(ids, start, window, 1, end - start);
                    windows.add(LogitProbe.rows(model.model(), window, 0));
                    targets.add(Arrays.copyOfRange(window, 1, window.length));
                }
            }
            return new HeldOutLogits(windows, targets, vocab);
        }

        /** Mean cross-entropy with the logits scaled by {@code scale}, and the token count. */
        double[] loss(double scale) {
            double total = 0;
            long count = 0;
            float[] scaled = new float[vocab];
            for (int w = 0; w < windows.size(); w++) {
                float[] rows = windows.get(w);
                long[] next = targets.get(w);
                for (int i = 0; i < next.length; i++) {
                    for (int v = 0; v < vocab; v++) {
                        scaled[v] = (float) (scale * rows[i * vocab + v]);
                    }
                    total += crossEntropy(scaled, 0, vocab, (int) next[i]);
                    count++;
                }
            }
            return new double[] {total / count, count};
        }

        /** The scale in (0.05, 1] whose loss is {@code relative} above the unscaled loss (bisection, to 1e-4). */
        double scaleForRelativeIncrease(double relative) {
            double target = loss(1.0)[0] * (1 + relative);
            double low = 0.05; // loss far above the target
            double high = 1.0;
            while (high - low > 1e-4) {
                double mid = (low + high) / 2;
                if (loss(mid)[0] > target) {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            return (low + high) / 2;
        }
    }

    static double crossEntropy(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[offset + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[offset + v] - max);
        }
        return max + Math.log(sum) - logits[offset + target];
    }

    static Map<String, String> manifest() {
        Properties p = new Properties();
        try (InputStream in = AccuracyPreservationTest.class.getResourceAsStream("/heldout/MANIFEST.properties")) {
            if (in == null) {
                throw new IllegalStateException("heldout/MANIFEST.properties is missing from the test resources");
            }
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read heldout/MANIFEST.properties: " + e, e);
        }
        Map<String, String> files = new TreeMap<>();
        p.stringPropertyNames().forEach(name -> files.put(name, p.getProperty(name)));
        return files;
    }

    static String read(String resource) {
        try (InputStream in = AccuracyPreservationTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + resource + ": " + e, e);
        }
    }
}
