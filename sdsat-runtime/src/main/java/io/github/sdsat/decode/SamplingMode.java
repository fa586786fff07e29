package io.github.sdsat.decode;

import java.util.Locale;

/** How sampled drafts are accepted (greedy decoding ignores this). */
public enum SamplingMode {
    /**
     * The paper's rule: a draft is accepted when an independent sample from the verify distribution equals it. Not
     * distribution-preserving (a tree node gets several independent tries; see the docs).
     */
    PAPER,
    /** Exact speculative sampling: accept with min(1, p/q), else sample the residual; output distribution = AR's. */
    LOSSLESS;

    public static SamplingMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown sampling mode '" + s + "': use paper or lossless", e);
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
