package io.github.sdsat.decode;

import java.util.Arrays;

/**
 * Settings of one generation. Build with {@link #greedy(int)} or {@link #builder()}; values are validated on build.
 *
 * @param maxNewTokens exact upper bound on emitted tokens
 * @param temperature 0 = greedy; otherwise softmax temperature
 * @param topK keep the k most likely tokens (0 = off)
 * @param topP nucleus mass in (0, 1] (1 = off)
 * @param seed RNG seed for sampling
 * @param k draft length: SAT tokens for SDSAT decoders, the most tokens proposed per loop for {@code lookup} and
 *     {@code oracle}; ignored by autoregressive decoding
 * @param sampling acceptance rule for sampled drafts
 * @param stopTokenIds generation ends after emitting any of these (EOS, end-of-infill)
 * @param lookupMaxNgram longest suffix n-gram the {@code lookup} decoder matches against earlier context (it tries
 *     n = lookupMaxNgram down to 1); ignored by the other decoders
 */
public record GenerationConfig(
        int maxNewTokens,
        double temperature,
        int topK,
        double topP,
        long seed,
        int k,
        SamplingMode sampling,
        long[] stopTokenIds,
        int lookupMaxNgram) {

    /** Default of {@link #lookupMaxNgram}: the reference prompt-lookup implementation's n = 3 down to 1. */
    public static final int DEFAULT_LOOKUP_MAX_NGRAM = 3;
    /** Upper bound of {@link #lookupMaxNgram}: longer suffixes almost never recur exactly and cost index memory. */
    public static final int MAX_LOOKUP_NGRAM = 16;

    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        if (k < 0) {
            throw new IllegalArgumentException("k (draft length) must be >= 0, got " + k);
        }
        if (lookupMaxNgram < 1 || lookupMaxNgram > MAX_LOOKUP_NGRAM) {
            throw new IllegalArgumentException("lookupMaxNgram (longest n-gram prompt lookup matches) must be in 1.."
                    + MAX_LOOKUP_NGRAM + ", got " + lookupMaxNgram + ": use " + DEFAULT_LOOKUP_MAX_NGRAM
                    + " (the default) or another value in that range");
        }
        stopTokenIds = stopTokenIds == null ? new long[0] : stopTokenIds.clone();
        sampling = sampling == null ? SamplingMode.LOSSLESS : sampling;
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public boolean isStop(long token) {
        for (long s : stopTokenIds) {
            if (s == token) {
                return true;
            }
        }
        return false;
    }

    public Builder toBuilder() {
        return new Builder()
                .maxNewTokens(maxNewTokens)
                .temperature(temperature)
                .topK(topK)
                .topP(topP)
                .seed(seed)
                .k(k)
                .sampling(sampling)
                .stopTokenIds(stopTokenIds)
                .lookupMaxNgram(lookupMaxNgram);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "GenerationConfig[maxNewTokens=" + maxNewTokens + ", temperature=" + temperature + ", topK=" + topK
                + ", topP=" + topP + ", seed=" + seed + ", k=" + k + ", sampling=" + sampling.id()
                + ", stopTokenIds=" + Arrays.toString(stopTokenIds) + ", lookupMaxNgram=" + lookupMaxNgram + "]";
    }

    /** Fluent builder with the defaults greedy, 128 tokens, k = 5, lossless sampling, seed 0, lookup n-grams &le; 3. */
    public static final class Builder {
        private int maxNewTokens = 128;
        private double temperature;
        private int topK;
        private double topP = 1.0;
        private long seed;
        private int k = 5;
        private SamplingMode sampling = SamplingMode.LOSSLESS;
        private long[] stopTokenIds = new long[0];
        private int lookupMaxNgram = DEFAULT_LOOKUP_MAX_NGRAM;

        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(double v) {
            topP = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder k(int v) {
            k = v;
            return this;
        }

        public Builder sampling(SamplingMode v) {
            sampling = v;
            return this;
        }

        public Builder stopTokenIds(long... v) {
            stopTokenIds = v.clone();
            return this;
        }

        public Builder lookupMaxNgram(int v) {
            lookupMaxNgram = v;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(
                    maxNewTokens, temperature, topK, topP, seed, k, sampling, stopTokenIds, lookupMaxNgram);
        }
    }
}
