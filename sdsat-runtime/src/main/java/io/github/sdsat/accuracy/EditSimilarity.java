package io.github.sdsat.accuracy;

/**
 * Edit similarity of a predicted and a true line as CodeXGLUE's and RepoBench's line-completion scripts compute it:
 * fuzzywuzzy's {@code fuzz.ratio} (python-Levenshtein's {@code ratio}) divided by 100, without its rounding to an
 * integer. That is {@code (|a| + |b| - d) / (|a| + |b|)} with {@code d} the Levenshtein distance counting a
 * substitution as 2 (an insertion plus a deletion), which equals {@code 2 LCS(a, b) / (|a| + |b|)}; 0 when either
 * string is empty (fuzzywuzzy's rule). Strings are compared by Unicode code point, as Python compares them.
 */
public final class EditSimilarity {
    private EditSimilarity() {}

    public static double of(String predicted, String target) {
        int[] a = predicted.codePoints().toArray();
        int[] b = target.codePoints().toArray();
        if (a.length == 0 || b.length == 0) {
            return 0.0;
        }
        // longest common subsequence, one row at a time
        int[] previous = new int[b.length + 1];
        int[] current = new int[b.length + 1];
        for (int i = 1; i <= a.length; i++) {
            for (int j = 1; j <= b.length; j++) {
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return 2.0 * previous[b.length] / (a.length + b.length);
    }
}
