package io.github.sdsat.decode;

/** A decoding strategy over one model. Implementations are not thread-safe; use one per thread. */
public interface Decoder {
    /** The public name used by {@code sdsat.decoder} (e.g. "ar", "sdsat"). */
    String name();

    /** Generates a continuation of {@code promptIds} (fed as is: add BOS before calling). */
    GenerationResult generate(long[] promptIds, GenerationConfig config);

    /**
     * The KV cache slots (model positions) {@link #generate} needs for a prompt of {@code promptTokens} tokens under
     * {@code config}: the prompt, {@code maxNewTokens}, the decoder's scratch slots (drafts, SAT blocks) and one
     * more. {@link #generate} refuses a run whose count exceeds the model's context; callers that plan many runs
     * (the benchmark) use it to refuse a prompt that does not fit before any work starts, without duplicating each
     * decoder's scratch size. Meaningful only for a {@code config} that {@link #validate} accepts.
     */
    int cacheSlots(int promptTokens, GenerationConfig config);

    /**
     * Checks, without generating, that this decoder can run {@code config} (its k, its temperature and sampling
     * rule); {@link #generate} performs the same check. Callers that plan many runs (the benchmark) use it to
     * refuse a bad parameter before any work starts, without duplicating each decoder's limits.
     *
     * @throws IllegalArgumentException naming the unsupported value and the values that are supported
     */
    default void validate(GenerationConfig config) {}
}
