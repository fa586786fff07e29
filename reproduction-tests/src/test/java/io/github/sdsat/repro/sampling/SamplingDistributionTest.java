package io.github.sdsat.repro.sampling;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.repro.support.Attach;
import io.github.sdsat.repro.support.ChiSquare;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.Thresholds;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sampling: lossless speculative sampling must leave the output distribution equal to autoregressive sampling; the
 * paper's rule is measured and attached, not asserted. Compared: the distribution of the tokens at generated positions
 * 2 and 3 (the first two drafted positions of the first loop; position 0 comes from the prefill in every decoder and
 * position 1 is decided exactly by the draft pass), over seeded samples, with a two-sample chi-square test at
 * {@code sampling.alpha} per position (Bonferroni over the two positions). The main distribution tests live in the
 * runtime; these are the model-level checks. The harness itself is checked on autoregressive sampling: two seed sets
 * must agree, and T=1.0 against T=0.2 must be told apart.
 */
@Epic("SDSAT reproduction")
@Feature("Sampling distribution")
class SamplingDistributionTest {
    private static final String PROMPT = "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n";
    private static final int[] POSITIONS = {2, 3};

    private static long[] prompt(ReproModel model) {
        return model.tokenizer().encodeWithBos(PROMPT);
    }

    /** Tokens at {@link #POSITIONS} of {@code samples} seeded generations (seeds base..base+samples-1). */
    static List<List<Long>> sample(Decoder decoder, long[] prompt, double temperature, SamplingMode mode, long seedBase,
            int samples) {
        List<List<Long>> byPosition = new ArrayList<>();
        for (int ignored : POSITIONS) {
            byPosition.add(new ArrayList<>());
        }
        for (int i = 0; i < samples; i++) {
            GenerationConfig config = GenerationConfig.builder().maxNewTokens(POSITIONS[POSITIONS.length - 1] + 1)
                    .temperature(temperature).seed(seedBase + i).k(5).sampling(mode).build();
            long[] out = decoder.generate(prompt, config).outputIds();
            for (int p = 0; p < POSITIONS.length; p++) {
                byPosition.get(p).add(out[POSITIONS[p]]);
            }
        }
        return byPosition;
    }

    private static double alphaPerPosition() {
        return Thresholds.number("sampling.alpha") / POSITIONS.length;
    }

    @Test
    @DisplayName("harness: two seed sets of autoregressive sampling pass the test, T=1.0 vs T=0.2 fails it")
    void harnessHasNoFalseAlarmAndHasPower() {
        ReproModel model = ReproModel.sdsat();
        Decoder ar = new AutoregressiveDecoder(model.model());
        int n = Thresholds.integer("sampling.samples");
        List<List<Long>> a = sample(ar, prompt(model), 1.0, SamplingMode.LOSSLESS, 0, n);
        List<List<Long>> b = sample(ar, prompt(model), 1.0, SamplingMode.LOSSLESS, 1_000_000, n);
        List<List<Long>> cold = sample(ar, prompt(model), 0.2, SamplingMode.LOSSLESS, 2_000_000, n);
        StringBuilder report = new StringBuilder();
        double minSame = 1;
        double maxDifferent = 0;
        for (int p = 0; p < POSITIONS.length; p++) {
            ChiSquare.Result same = ChiSquare.homogeneity(a.get(p), b.get(p));
            ChiSquare.Result different = ChiSquare.homogeneity(a.get(p), cold.get(p));
            minSame = Math.min(minSame, same.pValue());
            maxDifferent = Math.max(maxDifferent, different.pValue());
            report.append(String.format(Locale.ROOT, "position %d: AR T=1 vs AR T=1 (other seeds) chi-square %.2f, "
                    + "df %d, p %.4g; AR T=1 vs AR T=0.2 chi-square %.2f, df %d, p %.4g%n", POSITIONS[p],
                    same.statistic(), same.degreesOfFreedom(), same.pValue(), different.statistic(),
                    different.degreesOfFreedom(), different.pValue()));
        }
        Attach.text("harness check", report.toString());
        assertThat(minSame).as("chi-square harness: identical distributions must pass (%s)", report)
                .isGreaterThanOrEqualTo(alphaPerPosition());
        assertThat(maxDifferent).as("chi-square harness: T=1.0 vs T=0.2 must be detected (%s)", report)
                .isLessThan(alphaPerPosition());
    }

    @ParameterizedTest(name = "T={0}")
    @ValueSource(doubles = {0.2, 1.0})
    @DisplayName("lossless tree sampling has the autoregressive output distribution; paper mode's deviation measured")
    void losslessTreeMatchesAutoregressive(double temperature) {
        Assumptions.assumeTrue(Matrix.available(Matrix.TREE_DECODER), "this build has no " + Matrix.TREE_DECODER
                + " decoder (Decoders.names() = " + Decoders.names() + ")");
        ReproModel model = ReproModel.sdsat();
        int n = Thresholds.integer("sampling.samples");
        Decoder ar = new AutoregressiveDecoder(model.model());
        Decoder tree = Decoders.create(Matrix.TREE_DECODER, model.model(), model.satId());
        List<List<Long>> reference = sample(ar, prompt(model), temperature, SamplingMode.LOSSLESS, 0, n);
        List<List<Long>> lossless = sample(tree, prompt(model), temperature, SamplingMode.LOSSLESS, 5_000_000, n);
        List<List<Long>> paper = sample(tree, prompt(model), temperature, SamplingMode.PAPER, 9_000_000, n);
        StringBuilder report = new StringBuilder();
        double minP = 1;
        for (int p = 0; p < POSITIONS.length; p++) {
            ChiSquare.Result r = ChiSquare.homogeneity(reference.get(p), lossless.get(p));
            ChiSquare.Result paperR = ChiSquare.homogeneity(reference.get(p), paper.get(p));
            minP = Math.min(minP, r.pValue());
            report.append(String.format(Locale.ROOT, "position %d, T=%.1f, %d samples each: lossless chi-square %.2f "
                    + "df %d p %.4g, TV distance %.4f; paper mode chi-square %.2f df %d p %.4g, TV distance %.4f "
                    + "%n", POSITIONS[p], temperature, n, r.statistic(),
                    r.degreesOfFreedom(), r.pValue(), ChiSquare.totalVariation(reference.get(p), lossless.get(p)),
                    paperR.statistic(), paperR.degreesOfFreedom(), paperR.pValue(),
                    ChiSquare.totalVariation(reference.get(p), paper.get(p))));
        }
        Attach.text("lossless vs paper mode, T=" + temperature, report.toString());
        assertThat(minP).as("lossless tree sampling vs AR sampling, chi-square p-value (alpha %.1e per position): %s",
                alphaPerPosition(), report).isGreaterThanOrEqualTo(alphaPerPosition());
    }
}
