package io.github.sdsat.repro.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.Argmax;
import io.github.sdsat.repro.support.BaselineCache;
import io.github.sdsat.repro.support.EquivalenceChecker;
import io.github.sdsat.repro.support.EquivalenceGate;
import io.github.sdsat.repro.support.LogitProbe;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
import io.github.sdsat.repro.support.TieLedger;
import io.github.sdsat.repro.support.Verdict;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The gate of the gate: broken decoders must make the equivalence gate fail with its message (prompt, position,
 * both tokens, logit margin), and a correct independent decoder must pass it. Runs on the random-weight fixture, so
 * it needs no trained model and checks the harness whatever model the gates use.
 */
@Epic("SDSAT reproduction")
@Feature("Equivalence gate: tests of the gate itself")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EquivalenceGateOfTheGateTest {
    private static final int NEW_TOKENS = 32;
    private static final int K = 3;
    private ReproModel fixture;
    private ReproPrompt prompt;
    private EquivalenceChecker checker;

    @BeforeAll
    void pickPrompt() {
        fixture = ReproModel.randomFixture();
        checker = EquivalenceChecker.withThresholds(fixture);
        // A dropped bonus token hides in a run of repeated tokens; random weights sometimes fall into such a loop,
        // so take the first prompt whose baseline is varied enough for every dropped token to show.
        for (ReproPrompt candidate : Prompts.completions(fixture, 20, NEW_TOKENS)) {
            long[] out = BaselineCache.greedy(fixture, candidate, NEW_TOKENS).outputIds();
            if (out.length == NEW_TOKENS
                    && Arrays.stream(out).distinct().count() >= NEW_TOKENS * 3 / 4
                    && noImmediateRepeats(out)) {
                prompt = candidate;
                return;
            }
        }
        throw new IllegalStateException("No HumanEval prompt gives a varied baseline on the random fixture");
    }

    private static boolean noImmediateRepeats(long[] out) {
        for (int i = 1; i < out.length; i++) {
            if (out[i] == out[i - 1]) {
                return false;
            }
        }
        return true;
    }

    @Test
    @DisplayName("an independent, correct SDSAT decoder (no KV cache) passes the gate")
    void correctIndependentDecoderPasses() {
        BonusDroppingDecoder correct = new BonusDroppingDecoder(fixture.model(), fixture.satId(), false);
        TieLedger ledger = new TieLedger(0.01);
        Verdict verdict = EquivalenceGate.check(fixture, prompt, correct, K, NEW_TOKENS, checker, ledger);
        assertThat(verdict.kind()).isEqualTo(Verdict.Kind.IDENTICAL);
        assertThat(ledger.comparedRuns()).isEqualTo(1);
    }

    @Test
    @DisplayName("a decoder that drops the bonus token fails the gate at the first dropped position")
    void droppingTheBonusTokenFailsTheGate() {
        BonusDroppingDecoder broken = new BonusDroppingDecoder(fixture.model(), fixture.satId(), true);
        TieLedger ledger = new TieLedger(0.01);
        long[] baseline = BaselineCache.greedy(fixture, prompt, NEW_TOKENS).outputIds();
        assertThatThrownBy(() -> EquivalenceGate.check(fixture, prompt, broken, K, NEW_TOKENS, checker, ledger))
                .isInstanceOf(AssertionError.class)
                .satisfies(error -> {
                    int position = broken.droppedAt().get(0);
                    long expected = baseline[position];
                    long actual = baseline[position + 1]; // the broken decoder continues as if the bonus were there
                    assertThat(error.getMessage())
                            .contains("test-sdsat-dropping-bonus k=" + K)
                            .contains(prompt.id())
                            .contains("at generated position " + position + " ")
                            .contains("expected id " + expected + " " + fixture.tokenText(expected))
                            .contains("got id " + actual + " " + fixture.tokenText(actual))
                            .containsPattern("logit margin -?\\d\\.\\d{3}e[+-]\\d+")
                            .contains("real mismatch");
                });
        assertThat(ledger.ties()).isEmpty();
    }

    @Test
    @DisplayName("a substituted token is reported with its exact position, both tokens and the true logit margin")
    void substitutionIsLocatedAndMeasured() {
        int position = 5;
        SubstitutingDecoder broken = new SubstitutingDecoder(fixture, position);
        TieLedger ledger = new TieLedger(0.01);
        long[] baseline = BaselineCache.greedy(fixture, prompt, NEW_TOKENS).outputIds();
        GenerationResult result = broken.generate(prompt.ids(), BaselineCache.config(prompt, NEW_TOKENS, K));
        Verdict verdict = checker.compare(prompt, "test-substitute k=" + K, baseline, result.outputIds());

        assertThat(verdict.kind()).isEqualTo(Verdict.Kind.MISMATCH);
        assertThat(verdict.position()).isEqualTo(position);
        assertThat(verdict.expected()).isEqualTo(baseline[position]);
        assertThat(verdict.actual()).isEqualTo(broken.substitute());
        // The runner-up replaced the argmax, so the margin is positive; what matters is that the checker classifies
        // by it: the same divergence is a tie under a tie margin just above it and a mismatch just below it.
        assertThat(verdict.margin()).as("argmax logit minus runner-up logit").isPositive();
        assertThat(new EquivalenceChecker(fixture, verdict.margin() * 1.01)
                        .compare(prompt, "test-substitute k=" + K, baseline, result.outputIds())
                        .kind())
                .as("tie margin just above the divergence's margin %.3e", verdict.margin())
                .isEqualTo(Verdict.Kind.TIE);
        assertThat(new EquivalenceChecker(fixture, verdict.margin() * 0.99)
                        .compare(prompt, "test-substitute k=" + K, baseline, result.outputIds())
                        .kind())
                .as("tie margin just below the divergence's margin %.3e", verdict.margin())
                .isEqualTo(Verdict.Kind.MISMATCH);
        assertThatThrownBy(() -> EquivalenceGate.check(fixture, prompt, broken, K, NEW_TOKENS, checker, ledger))
                .hasMessageContaining("at generated position " + position + " ");
    }

    @Test
    @DisplayName("on the shipped model, dropping the bonus token inside repetitive text where drafts are accepted "
            + "fails the gate")
    void droppingTheBonusTokenInRepetitiveTextOnTheRealModelFailsTheGate() {
        ReproModel model = ReproModel.sdsat();
        // Repetitive code: the trained model continues the pattern and accepts SAT drafts, and a dropped bonus token
        // can hide among equal neighbours, the case the random fixture (which accepts almost nothing) never shows.
        String text = "def f1():\n    return 1\n\n\ndef f2():\n    return 2\n\n\ndef f3():\n    return 3\n\n\n"
                + "def f4():\n    return 4\n\n\ndef f";
        long[] ids = model.tokenizer().encodeWithBos(text);
        ReproPrompt repetitive = new ReproPrompt("repetitive", "functions", ids, new long[] {model.eosId()}, false);
        int newTokens = 48;
        BonusDroppingDecoder correct = new BonusDroppingDecoder(model.model(), model.satId(), false);
        long accepted = correct.generate(ids, BaselineCache.config(repetitive, newTokens, K))
                .stats()
                .acceptedTokens();
        assertThat(accepted)
                .as("SAT drafts accepted by the correct decoder on the repetitive prompt")
                .isPositive();
        BonusDroppingDecoder broken = new BonusDroppingDecoder(model.model(), model.satId(), true);
        EquivalenceChecker realChecker = EquivalenceChecker.withThresholds(model);
        assertThatThrownBy(() -> EquivalenceGate.check(
                        model, repetitive, broken, K, newTokens, realChecker, new TieLedger(0.01)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("test-sdsat-dropping-bonus k=" + K)
                .hasMessageContaining("real mismatch")
                .satisfies(error -> assertThat(broken.droppedAt())
                        .as("bonus tokens dropped")
                        .isNotEmpty());
    }

    @Test
    @DisplayName("a decoder that stops early or runs past the baseline fails with 'stopped after' / 'went on'")
    void lengthDifferencesFail() {
        long[] baseline = BaselineCache.greedy(fixture, prompt, NEW_TOKENS).outputIds();
        Verdict shorter = checker.compare(prompt, "short", baseline, Arrays.copyOf(baseline, baseline.length - 1));
        assertThat(shorter.kind()).isEqualTo(Verdict.Kind.MISMATCH);
        assertThat(shorter.position()).isEqualTo(baseline.length - 1);
        assertThat(shorter.message()).contains("the decoder stopped after " + (baseline.length - 1) + " tokens");
        long[] longer = Arrays.copyOf(baseline, baseline.length + 1);
        longer[baseline.length] = baseline[0];
        Verdict overshoot = checker.compare(prompt, "long", baseline, longer);
        assertThat(overshoot.kind()).isEqualTo(Verdict.Kind.MISMATCH);
        assertThat(overshoot.message()).contains("the baseline stopped after " + baseline.length + " tokens");
    }

    @Test
    @DisplayName("a divergence under the tie margin is a numerical tie, counted against the bound")
    void tiesAreClassifiedAndBounded() {
        SubstitutingDecoder broken = new SubstitutingDecoder(fixture, 3);
        long[] baseline = BaselineCache.greedy(fixture, prompt, NEW_TOKENS).outputIds();
        long[] out = broken.generate(prompt.ids(), BaselineCache.config(prompt, NEW_TOKENS, K))
                .outputIds();
        // With a margin larger than any logit gap, the same divergence must count as a tie.
        Verdict tie = new EquivalenceChecker(fixture, 1e9).compare(prompt, "tie", baseline, out);
        assertThat(tie.kind()).isEqualTo(Verdict.Kind.TIE);
        assertThat(tie.message()).contains("numerical tie");

        // The ledger at the bound the equivalence gate uses (1.5 x the share of runs expected to hold a near-tie at
        // the measured rate, about 4.9% at 128 tokens) over the CI matrix's number of compared runs.
        double bound = TieLedger.boundFromThresholds(Matrix.maxNewTokens());
        int runs = 0;
        for (String decoder : Matrix.speculativeDecoders()) {
            runs += Matrix.ks(decoder).size() * (Matrix.completionPrompts() + Matrix.infillingPrompts());
        }
        int allowed = (int) Math.floor(bound * runs);
        assertThat(allowed)
                .as("ties the real bound %.4f allows in %d runs", bound, runs)
                .isPositive();
        TieLedger ledger = new TieLedger(bound);
        for (int i = 0; i < runs - allowed; i++) {
            ledger.compared(new Verdict(Verdict.Kind.IDENTICAL, -1, -1, -1, Double.NaN, ""));
        }
        for (int i = 0; i < allowed; i++) {
            ledger.compared(tie);
        }
        assertThat(ledger.withinBound())
                .as("%d ties in %d runs at the bound %.4f", allowed, runs, bound)
                .isTrue();
        ledger.compared(tie);
        assertThat(ledger.withinBound())
                .as("%d ties in %d runs at the bound %.4f", allowed + 1, runs + 1, bound)
                .isFalse();
        assertThat(ledger.summary()).contains("numerical ties in " + (allowed + 1) + " of " + (runs + 1));
    }

    private static long[] concat(long[] prompt, long[] generated, int count) {
        long[] r = Arrays.copyOf(prompt, prompt.length + count);
        System.arraycopy(generated, 0, r, prompt.length, count);
        return r;
    }

    /** Emits the autoregressive output with the token at one position replaced by the runner-up there. */
    static final class SubstitutingDecoder implements Decoder {
        private final ReproModel model;
        private final int position;
        private long substitute = -1;

        SubstitutingDecoder(ReproModel model, int position) {
            this.model = model;
            this.position = position;
        }

        long substitute() {
            return substitute;
        }

        @Override
        public String name() {
            return "test-substitute";
        }

        /** What the autoregressive decoder it wraps needs. */
        @Override
        public int cacheSlots(int promptTokens, GenerationConfig config) {
            return new AutoregressiveDecoder(model.model()).cacheSlots(promptTokens, config);
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            GenerationResult ar = new AutoregressiveDecoder(model.model()).generate(promptIds, config);
            long[] out = ar.outputIds();
            float[] logits = LogitProbe.nextTokenLogits(model.model(), concat(promptIds, out, position));
            int best = Argmax.of(logits, 0, logits.length);
            float saved = logits[best];
            logits[best] = Float.NEGATIVE_INFINITY;
            substitute = Argmax.of(logits, 0, logits.length);
            logits[best] = saved;
            out[position] = substitute;
            return new GenerationResult(promptIds, out, ar.stats(), ar.stopReason());
        }
    }
}
