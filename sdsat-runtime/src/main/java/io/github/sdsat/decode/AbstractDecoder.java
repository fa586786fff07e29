package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;

/** Validation and bookkeeping shared by all decoders; each strategy implements {@link #decode}. */
abstract class AbstractDecoder implements Decoder {
    protected final LlamaModel model;
    protected final ModelPasses passes;
    /** Test hook: sees the cache each time a loop has committed tokens (cache = prompt + tokens decided so far). */
    java.util.function.Consumer<KvCache> afterCommit;

    AbstractDecoder(LlamaModel model) {
        this.model = model;
        this.passes = new ModelPasses(model);
    }

    /** Extra cache slots a loop may use beyond the committed tokens (drafts, SAT blocks). */
    protected abstract int scratchSlots(GenerationConfig config);

    /**
     * Checks what is specific to this decoder beyond its {@link DecoderRegistry} entry (which checks k and sampling
     * first); throws with the valid values.
     */
    protected void validateConfig(GenerationConfig config) {}

    @Override
    public final void validate(GenerationConfig config) {
        DecoderRegistry.validate(name(), config);
        validateConfig(config);
    }

    @Override
    public final int cacheSlots(int promptTokens, GenerationConfig config) {
        return promptTokens + config.maxNewTokens() + scratchSlots(config) + 1;
    }

    protected abstract void decode(
            long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters);

    @Override
    public final GenerationResult generate(long[] promptIds, GenerationConfig config) {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException(
                    "Empty prompt: give at least one token (normally BOS + the encoded " + "prompt)");
        }
        int vocab = model.config().vocabSize();
        for (long id : promptIds) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException(
                        "Prompt token id " + id + " is outside the model's vocabulary [0, " + vocab + ")");
            }
        }
        validate(config);
        int needed = cacheSlots(promptIds.length, config);
        int context = model.config().maxPositions();
        if (needed > context) {
            throw new IllegalArgumentException("Prompt of " + promptIds.length + " tokens + maxNewTokens "
                    + config.maxNewTokens() + " + " + (scratchSlots(config) + 1) + " scratch slots for " + name()
                    + " = " + needed + " exceeds the model's context of " + context
                    + " tokens: shorten the prompt or lower maxNewTokens/k");
        }
        passes.resetCount();
        OutputSink out = new OutputSink(config);
        Counters counters = new Counters(Math.max(1, config.k()), model::clock);
        try (KvCache cache = model.newCache(needed)) {
            counters.start = model.clock(); // waits for the device: see LlamaModel.clock
            decode(promptIds.clone(), config, cache, out, counters);
        }
        long end = model.clock();
        double prefillMs = (counters.prefillEnd - counters.start) / 1e6;
        double decodeMs = (end - counters.prefillEnd) / 1e6;
        double seconds = (end - counters.start) / 1e9;
        GenerationStats stats = new GenerationStats(
                out.size(),
                passes.passes(),
                counters.drafted,
                counters.accepted,
                counters.acceptedPerPosition,
                prefillMs,
                decodeMs,
                out.size() / seconds,
                counters.loops,
                passes.decodePassesByWidth());
        return new GenerationResult(promptIds.clone(), out.tokens(), stats, out.stopReason(), out.fromDraft());
    }

    /**
     * The token after {@code tokens} (fed at {@code positions}, KV appended to the cache): the argmax on the tensor
     * side when greedy (no logits copied to Java), else a sample of the processed distribution of the last row.
     */
    protected final long nextToken(
            KvCache cache,
            long[] tokens,
            long[] positions,
            GenerationConfig config,
            java.util.SplittableRandom random) {
        int last = tokens.length - 1;
        if (config.isGreedy()) {
            return passes.argmax(cache, tokens, positions, null, last)[0];
        }
        float[] logits = passes.logits(cache, tokens, positions, null, last);
        return Sampler.sample(Sampler.distribution(logits, 0, passes.vocab, config), random);
    }

    /** Called by strategies after each loop's cache bookkeeping (truncation or compaction). */
    protected final void committed(KvCache cache) {
        if (afterCommit != null) {
            afterCommit.accept(cache);
        }
    }

    /** Mutable counters a decode run fills in. */
    static final class Counters {
        long start;
        long prefillEnd;
        long drafted;
        long accepted;
        int loops;
        final long[] acceptedPerPosition;

        private final java.util.function.LongSupplier clock;

        Counters(int positions, java.util.function.LongSupplier clock) {
            acceptedPerPosition = new long[positions];
            this.clock = clock;
        }

        void prefillDone() {
            prefillEnd = clock.getAsLong();
        }

        /**
         * Records one verification: {@code drafted} proposals of which the first {@code accepted} matched (the
         * decoder emits those through {@link OutputSink#emitAcceptedDraft}).
         */
        void verified(int drafted, int accepted) {
            this.drafted += drafted;
            this.accepted += accepted;
            for (int i = 0; i < accepted && i < acceptedPerPosition.length; i++) {
                acceptedPerPosition[i]++;
            }
        }
    }
}
