package io.github.sdsat.results;

import java.util.Locale;

/**
 * Where a greedy speculative run's output first differs from the autoregressive baseline's on the same prompt, with
 * the logit margin that tells a numerical tie from a real bug (docs/DESIGN.md §7): the two tokens' logits after the
 * baseline prefix (prompt + baseline tokens before the position), from one plain causal pass in a fresh cache. A
 * correct decoder can only diverge where the baseline's two best logits lie within float rounding of each other
 * (batched and one-row passes sum in different orders), so a margin below the tie margin is a tie, anything else a
 * real mismatch.
 *
 * @param dataset the prompt's dataset
 * @param taskId its id
 * @param decoder the greedy decoder that diverged
 * @param k its SAT tokens (or draft length)
 * @param position index into the generated tokens of the first difference
 * @param expectedId the baseline's token there; -1 when the baseline had stopped
 * @param actualId the decoder's token there; -1 when the decoder had stopped
 * @param expectedText the text of {@code expectedId} (empty for -1)
 * @param actualText the text of {@code actualId}
 * @param logitMargin logit of the expected token minus logit of the actual one; null when one output is a prefix of
 *     the other (a stop or length rule differs: never a tie)
 * @param tieMargin the margin below which the difference counts as a numerical tie
 */
public record GreedyMismatch(
        String dataset,
        String taskId,
        String decoder,
        int k,
        int position,
        long expectedId,
        long actualId,
        String expectedText,
        String actualText,
        Double logitMargin,
        double tieMargin) {

    /** Whether the difference is a numerical tie (two logits within the tie margin), not a bug. */
    public boolean tie() {
        return logitMargin != null && Math.abs(logitMargin) < tieMargin;
    }

    /** One sentence naming the prompt, position, tokens, margin and verdict. */
    public String describe() {
        String what = decoder + " k=" + k + " on " + dataset + "/" + taskId + " differs from autoregressive greedy "
                + "decoding at generated position " + position + ": ";
        if (logitMargin == null) {
            return what
                    + (actualId < 0
                            ? "the decoder stopped where the baseline went on with id " + expectedId + " "
                                    + quoted(expectedText)
                            : "the baseline stopped where the decoder went on with id " + actualId + " "
                                    + quoted(actualText))
                    + " (a stop or length rule differs) -> real mismatch";
        }
        return what + "expected id " + expectedId + " " + quoted(expectedText) + ", got id " + actualId + " "
                + quoted(actualText) + "; logit margin " + String.format(Locale.ROOT, "%.3e", logitMargin) + " -> "
                + (tie()
                        ? "numerical tie (|margin| < " + tieMargin + ")"
                        : "real mismatch (|margin| >= " + tieMargin + ")");
    }

    /** The token text quoted, control characters written as escapes (they may be any byte a token holds). */
    private static String quoted(String text) {
        StringBuilder b = new StringBuilder("'");
        for (char c : (text == null ? "" : text).toCharArray()) {
            if (c == '\n') {
                b.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('\'').toString();
    }
}
