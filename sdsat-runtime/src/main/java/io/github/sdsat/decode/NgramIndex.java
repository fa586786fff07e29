package io.github.sdsat.decode;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Prompt lookup (n-gram) drafting: the context's longest suffix n-gram (n = maxNgram down to 1) is looked up among
 * earlier n-grams, and the tokens that followed its most recent earlier occurrence are proposed.
 *
 * <p>The index maps each n-gram (n ≤ maxNgram) to the position right after its most recent occurrence <em>that
 * has a following token</em>. An n-gram is entered only when the token after it is committed, so the context's own
 * suffix is never in the index when it is looked up: a match is always an earlier occurrence, and a lookup costs
 * maxNgram hash probes instead of a rescan of the context. Committing a token costs maxNgram insertions.
 *
 * <p>The copy may run into the proposal itself (as an LZ77 match may overlap its own output): after a match at
 * position p, draft j is token p + j of the context extended by drafts 0..j-1. Periodic text (a period shorter
 * than k, such as a repeated line or one repeated token) is thereby proposed k tokens at a time instead of one
 * period at a time.
 */
final class NgramIndex implements Drafter {
    private final int maxNgram;
    /** grams[n - 1]: n-gram → position of the token that followed its most recent occurrence. */
    private final Map<Gram, Integer>[] grams;
    /** The context so far, tokens[0..length). */
    private long[] tokens = new long[64];

    private int length;
    /** Length of the suffix n-gram matched by the last {@link #propose} (0: none); for tests and reports. */
    private int lastMatch;

    @SuppressWarnings("unchecked")
    NgramIndex(int maxNgram) {
        if (maxNgram < 1) {
            throw new IllegalArgumentException("maxNgram must be at least 1, got " + maxNgram);
        }
        this.maxNgram = maxNgram;
        this.grams = new Map[maxNgram];
        for (int n = 0; n < maxNgram; n++) {
            grams[n] = new HashMap<>();
        }
    }

    @Override
    public void start(long[] prompt) {
        for (Map<Gram, Integer> m : grams) {
            m.clear();
        }
        length = 0;
        lastMatch = 0;
        for (long token : prompt) {
            commit(token);
        }
    }

    @Override
    public void commit(long token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length] = token;
        // The n-grams ending just before the new token now have a follower: enter them (overwriting keeps the
        // most recent occurrence).
        for (int n = 1; n <= maxNgram && n <= length; n++) {
            grams[n - 1].put(new Gram(tokens, length - n, n), length);
        }
        length++;
    }

    @Override
    public Proposal propose(int max) {
        long[] drafts = new long[max];
        int count = propose(drafts, max);
        return count == 0 ? Proposal.none() : Proposal.pointMasses(java.util.Arrays.copyOf(drafts, count));
    }

    /** Writes up to {@code max} drafts into {@code out[0..)} and returns how many. */
    int propose(long[] out, int max) {
        lastMatch = 0;
        for (int n = Math.min(maxNgram, length); n >= 1; n--) {
            Integer follower = grams[n - 1].get(new Gram(tokens, length - n, n));
            if (follower != null) {
                lastMatch = n;
                int count = Math.min(max, out.length);
                for (int j = 0; j < count; j++) {
                    int source = follower + j; // < length + j: a context token or an earlier draft
                    out[j] = source < length ? tokens[source] : out[source - length];
                }
                return count;
            }
        }
        return 0;
    }

    /** Length of the suffix n-gram the last proposal matched, 0 when it found none. */
    int lastMatch() {
        return lastMatch;
    }

    /**
     * Position right after the most recent earlier occurrence of the context's suffix n-gram of length n, or -1
     * (for tests: the index's answer without copying).
     */
    int follower(int n) {
        if (n < 1 || n > maxNgram || n > length) {
            return -1;
        }
        Integer follower = grams[n - 1].get(new Gram(tokens, length - n, n));
        return follower == null ? -1 : follower;
    }

    /** An n-gram copied out of the context (the context array grows and is replaced, so it is copied). */
    private static final class Gram {
        private final long[] ids;
        private final int hash;

        Gram(long[] context, int from, int n) {
            ids = Arrays.copyOfRange(context, from, from + n);
            hash = Arrays.hashCode(ids);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Gram g && g.hash == hash && Arrays.equals(g.ids, ids);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
