package io.github.sdsat.repro.support;

/**
 * Outcome of comparing one decoder output with the autoregressive greedy baseline.
 *
 * @param kind identical, a numerical tie at the first difference, or a real mismatch
 * @param position index into the generated tokens of the first difference (-1 when identical)
 * @param expected the baseline's token there (-1 when the baseline had ended)
 * @param actual the decoder's token there (-1 when the decoder had ended)
 * @param margin baseline logit minus decoder-token logit at that position, from the logits of the baseline prefix
 *               (NaN when one side had ended)
 * @param message the failure message (prompt, position, both tokens as id and text, margin); empty when identical
 */
public record Verdict(Kind kind, int position, long expected, long actual, double margin, String message) {
    public enum Kind {
        IDENTICAL,
        TIE,
        MISMATCH
    }

    public boolean identical() {
        return kind == Kind.IDENTICAL;
    }
}
