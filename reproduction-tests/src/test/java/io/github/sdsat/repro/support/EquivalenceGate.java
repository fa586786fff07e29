package io.github.sdsat.repro.support;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationResult;
import io.qameta.allure.Allure;

/**
 * One cell of the equivalence gate: baseline (cached), the decoder's run, the comparison, the attachments, and the
 * verdict turned into a test outcome. Shared by the gate and by the tests of the gate (which feed it broken decoders),
 * so those tests prove what the gate itself does.
 */
public final class EquivalenceGate {
    private EquivalenceGate() {}

    /**
     * Runs {@code decoder} on the prompt at temperature 0 and fails with the checker's message unless its output equals
     * the autoregressive greedy output; a numerical tie is recorded in {@code ledger} and passes here (the ledger's
     * bound decides the suite).
     *
     * @return the verdict (identical or tie; a mismatch throws)
     * @throws AssertionError on a real mismatch, with prompt, position, both tokens and the logit margin
     */
    public static Verdict check(
            ReproModel model,
            ReproPrompt prompt,
            Decoder decoder,
            int k,
            int maxNewTokens,
            EquivalenceChecker checker,
            TieLedger ledger) {
        String label = decoder.name() + " k=" + k;
        GenerationResult baseline = Allure.step(
                "baseline: autoregressive greedy, " + maxNewTokens + " new tokens (computed once per prompt)",
                () -> BaselineCache.greedy(model, prompt, maxNewTokens));
        MeteredRun metered = Allure.step(
                "method: " + label + " at T=0",
                () -> MeteredRun.generate(
                        model.model(), decoder, prompt.ids(), BaselineCache.config(prompt, maxNewTokens, k)));
        GenerationResult result = metered.counted();
        Verdict verdict = Allure.step(
                "compare token by token",
                () -> checker.compare(prompt, label, baseline.outputIds(), result.outputIds()));
        ledger.compared(verdict);
        if (verdict.identical()) {
            RunCache.put(model, decoder, k, prompt, maxNewTokens, metered);
        }
        Attach.text("generated code (" + label + ")", model.tokenizer().decode(result.outputIds(), false));
        Attach.text(
                "stats (" + label + ")",
                "new tokens " + result.stats().newTokens() + ", forward passes "
                        + result.stats().forwardPasses() + ", tokens per pass "
                        + String.format(
                                java.util.Locale.ROOT, "%.3f", result.stats().tokensPerForward()) + ", accepted "
                        + result.stats().acceptedTokens() + " of "
                        + result.stats().draftedTokens() + " drafted, stop "
                        + result.stopReason() + "; baseline " + baseline.stats().newTokens() + " tokens, stop "
                        + baseline.stopReason());
        if (!verdict.identical()) {
            Attach.text(
                    "diff against autoregressive (" + label + ")",
                    checker.diff(prompt, label, baseline.outputIds(), result.outputIds(), verdict));
        }
        if (verdict.kind() == Verdict.Kind.MISMATCH) {
            throw new AssertionError(verdict.message());
        }
        return verdict;
    }
}
