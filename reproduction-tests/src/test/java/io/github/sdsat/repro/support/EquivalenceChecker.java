package io.github.sdsat.repro.support;

import java.util.Locale;

/**
 * Compares a greedy decoder's output with the autoregressive greedy baseline token for token and, at the first
 * difference, measures the logit margin between the two tokens from the logits of the baseline prefix (prompt +
 * baseline tokens before the position), so that a numerical tie (margin below the threshold, two logits equal to float
 * precision) is told apart from a real bug.
 */
public final class EquivalenceChecker {
    private final ReproModel model;
    private final double tieMargin;

    public EquivalenceChecker(ReproModel model, double tieMargin) {
        this.model = model;
        this.tieMargin = tieMargin;
    }

    /** The checker with the tie margin of thresholds.properties. */
    public static EquivalenceChecker withThresholds(ReproModel model) {
        return new EquivalenceChecker(model, Thresholds.number("equivalence.tieMargin"));
    }

    public double tieMargin() {
        return tieMargin;
    }

    /**
     * @param label the decoder and its settings, e.g. {@code sdsat k=5}
     * @param baseline autoregressive greedy output
     * @param candidate the decoder's output
     */
    public Verdict compare(ReproPrompt prompt, String label, long[] baseline, long[] candidate) {
        int n = Math.min(baseline.length, candidate.length);
        int position = 0;
        while (position < n && baseline[position] == candidate[position]) {
            position++;
        }
        if (position == baseline.length && position == candidate.length) {
            return new Verdict(Verdict.Kind.IDENTICAL, -1, -1, -1, Double.NaN, "");
        }
        String where = label + " diverges from autoregressive greedy decoding on " + prompt.id() + " at generated "
                + "position " + position + " (of " + baseline.length + " baseline tokens): ";
        if (position == n) {
            // One output is a strict prefix of the other: a stop or length rule differs, never a tie.
            boolean decoderShorter = candidate.length < baseline.length;
            long expected = decoderShorter ? baseline[position] : -1;
            long actual = decoderShorter ? -1 : candidate[position];
            String message = where
                    + (decoderShorter
                            ? "expected id " + expected + " " + model.tokenText(expected)
                                    + " but the decoder stopped after " + candidate.length + " tokens"
                            : "the baseline stopped after " + baseline.length
                                    + " tokens but the decoder went on with id " + actual + " "
                                    + model.tokenText(actual) + " (" + candidate.length + " tokens in all)")
                    + "; logit margin: none (a stop or length rule differs) -> real mismatch";
            return new Verdict(Verdict.Kind.MISMATCH, position, expected, actual, Double.NaN, message);
        }
        long expected = baseline[position];
        long actual = candidate[position];
        long[] prefix =
                io.github.sdsat.tokenizer.FimFormat.concat(prompt.ids(), java.util.Arrays.copyOf(baseline, position));
        float[] logits = LogitProbe.nextTokenLogits(model.model(), prefix);
        double margin = (double) logits[(int) expected] - logits[(int) actual];
        boolean tie = Math.abs(margin) < tieMargin;
        String message = where + "expected id " + expected + " " + model.tokenText(expected)
                + " (autoregressive), got id "
                + actual + " " + model.tokenText(actual) + " (" + label + "); logit margin "
                + String.format(Locale.ROOT, "%.3e", margin) + " (logits "
                + String.format(Locale.ROOT, "%.6f", logits[(int) expected])
                + " vs " + String.format(Locale.ROOT, "%.6f", logits[(int) actual]) + ") -> "
                + (tie ? "numerical tie (margin < " + tieMargin + ")" : "real mismatch (margin >= " + tieMargin + ")");
        return new Verdict(tie ? Verdict.Kind.TIE : Verdict.Kind.MISMATCH, position, expected, actual, margin, message);
    }

    /** A side-by-side text of both outputs around the first difference, for the Allure diff attachment. */
    public String diff(ReproPrompt prompt, String label, long[] baseline, long[] candidate, Verdict verdict) {
        StringBuilder b = new StringBuilder();
        b.append(verdict.message()).append("\n\n");
        int from = Math.max(0, verdict.position() - 8);
        int to = Math.max(baseline.length, candidate.length);
        to = Math.min(to, verdict.position() + 9);
        b.append(String.format(Locale.ROOT, "%-5s  %-28s  %-28s%n", "pos", "autoregressive", label));
        for (int i = from; i < to; i++) {
            String left = i < baseline.length ? baseline[i] + " " + model.tokenText(baseline[i]) : "(end)";
            String right = i < candidate.length ? candidate[i] + " " + model.tokenText(candidate[i]) : "(end)";
            b.append(String.format(
                    Locale.ROOT, "%s%-4d  %-28s  %-28s%n", i == verdict.position() ? ">" : " ", i, left, right));
        }
        b.append("\n--- autoregressive text ---\n").append(model.tokenizer().decode(baseline, false));
        b.append("\n--- ")
                .append(label)
                .append(" text ---\n")
                .append(model.tokenizer().decode(candidate, false));
        b.append('\n');
        return b.toString();
    }
}
