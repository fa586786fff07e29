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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accuracy preservation: SAT fine-tuning must keep the model's ordinary next-token quality. Held-out standard-token
 * loss of the SDSAT model at most 2% (relative) above the base model's, on CPython stdlib files of the held-out split
 * shipped as test resources; and the share of HumanEval prompts whose first 64 greedy tokens agree between base and
 * SDSAT model, reported with a floor.
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
        for (Map.Entry<String, String> file : manifest().entrySet()) {
            assertThat(PythonCorpus.isHeldOut(file.getValue()))
                    .as("%s (stdlib %s) is in PythonCorpus's held-out split", file.getKey(), file.getValue()).isTrue();
        }
    }

    @Test
    @DisplayName("held-out standard-token loss: sdsat within 2% of base")
    void heldOutLossWithinBound() {
        ReproModel base = ReproModel.base();
        ReproModel sdsat = ReproModel.sdsat();
        double[] baseLoss = Allure.step("base model: held-out loss", () -> loss(base));
        double[] sdsatLoss = Allure.step("sdsat model: held-out loss", () -> loss(sdsat));
        double relative = (sdsatLoss[0] - baseLoss[0]) / baseLoss[0];
        double bound = Thresholds.number("accuracy.maxRelativeLossIncrease");
        String summary = String.format(Locale.ROOT, "held-out standard-token loss over %d tokens of %d files: base %.5f "
                + "nats/token, sdsat %.5f nats/token, relative change %+.3f%% (bound +%.1f%%)", (long) baseLoss[1],
                manifest().size(), baseLoss[0], sdsatLoss[0], 100 * relative, 100 * bound);
        Attach.text("held-out loss", summary);
        assertThat(relative).as(summary).isLessThanOrEqualTo(bound);
    }

    @Test
    @DisplayName("greedy agreement of base and sdsat on the first 64 tokens of HumanEval prompts")
    void greedyAgreementAboveFloor() {
        ReproModel base = ReproModel.base();
        ReproModel sdsat = ReproModel.sdsat();
        List<ReproPrompt> basePrompts = Prompts.completions(base, Matrix.completionPrompts(), AGREEMENT_TOKENS);
        List<ReproPrompt> sdsatPrompts = Prompts.completions(sdsat, Matrix.completionPrompts(), AGREEMENT_TOKENS);
        int agree = 0;
        StringBuilder table = new StringBuilder("prompt\tagree\tfirst difference\n");
        for (int i = 0; i < basePrompts.size(); i++) {
            long[] a = BaselineCache.greedy(base, basePrompts.get(i), AGREEMENT_TOKENS).outputIds();
            long[] b = BaselineCache.greedy(sdsat, sdsatPrompts.get(i), AGREEMENT_TOKENS).outputIds();
            boolean same = Arrays.equals(a, b);
            agree += same ? 1 : 0;
            int first = Arrays.mismatch(a, b);
            table.append(basePrompts.get(i).id()).append('\t').append(same).append('\t')
                    .append(first < 0 ? "-" : String.valueOf(first)).append('\n');
        }
        double share = (double) agree / basePrompts.size();
        double floor = Thresholds.number("accuracy.minGreedyAgreementShare");
        String summary = String.format(Locale.ROOT, "greedy agreement (first %d tokens) of base and sdsat: %d of %d "
                + "HumanEval prompts = %.3f (floor %.3f)", AGREEMENT_TOKENS, agree, basePrompts.size(), share, floor);
        Attach.text("greedy agreement", summary + "\n\n" + table);
        assertThat(share).as(summary).isGreaterThanOrEqualTo(floor);
    }

    /** Mean cross-entropy (nats per predicted token) over the held-out files, and the token count. */
    static double[] loss(ReproModel model) {
        double total = 0;
        long count = 0;
        int vocab = model.model().config().vocabSize();
        long bos = model.tokenizer().specials().bos();
        for (String file : manifest().keySet()) {
            long[] ids = model.tokenizer().encode(read("/heldout/" + file));
            for (int start = 0; start < ids.length; start += WINDOW - 1) {
                int end = Math.min(ids.length, start + WINDOW - 1);
                long[] window = new long[end - start + 1];
                window[0] = bos;
                System.arraycopy(ids, start, window, 1, end - start);
                float[] rows = LogitProbe.rows(model.model(), window, 0);
                for (int i = 0; i + 1 < window.length; i++) {
                    total += crossEntropy(rows, i * vocab, vocab, (int) window[i + 1]);
                    count++;
                }
            }
        }
        return new double[] {total / count, count};
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
