package io.github.sdsat.decode;

import java.util.Arrays;

/**
 * Collects emitted tokens and enforces the stop rules every decoder shares: a stop token is emitted and ends
 * generation; never more than maxNewTokens. Speculative decoders commit several tokens per loop and push them here
 * one by one, so a stop token in the middle of a block ends generation exactly there (the official code loses
 * tokens in that case).
 */
final class OutputSink {
    private final GenerationConfig config;
    private long[] tokens;
    private int size;
    private String stopReason;
    /** Which emitted tokens were drafts accepted by verification (rather than tokens a pass decided itself). */
    private final java.util.BitSet fromDraft = new java.util.BitSet();

    OutputSink(GenerationConfig config) {
        this.config = config;
        this.tokens = new long[Math.min(config.maxNewTokens(), 1024)];
    }

    /**
     * Emits a token a pass decided itself (the baseline's choice, a verification's bonus token); returns false
     * when generation is over (then no further token may be emitted).
     */
    boolean emit(long token) {
        return append(token, false);
    }

    /** Emits a draft that verification accepted; otherwise as {@link #emit}. */
    boolean emitAcceptedDraft(long token) {
        return append(token, true);
    }

    private boolean append(long token, boolean acceptedDraft) {
        if (stopReason != null) {
            throw new IllegalStateException("token emitted after generation stopped (" + stopReason + ")");
        }
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.min(config.maxNewTokens(), tokens.length * 2));
        }
        if (acceptedDraft) {
            fromDraft.set(size);
        }
        tokens[size++] = token;
        if (config.isStop(token)) {
            stopReason = "eos";
        } else if (size >= config.maxNewTokens()) {
            stopReason = "length";
        }
        return stopReason == null;
    }

    /** Per emitted token: was it an accepted draft. */
    boolean[] fromDraft() {
        boolean[] out = new boolean[size];
        for (int i = fromDraft.nextSetBit(0); i >= 0 && i < size; i = fromDraft.nextSetBit(i + 1)) {
            out[i] = true;
        }
        return out;
    }

    int size() {
        return size;
    }

    long[] tokens() {
        return Arrays.copyOf(tokens, size);
    }

    String stopReason() {
        return stopReason;
    }
}
