package io.github.sdsat.decode;

/** A decoding strategy over one model. Implementations are not thread-safe; use one per thread. */
public interface Decoder {
    /** The public name used by {@code sdsat.decoder} (e.g. "ar", "sdsat"). */
    String name();

    /** Generates a continuation of {@code promptIds} (fed as is: add BOS before calling). */
    GenerationResult generate(long[] promptIds, GenerationConfig config);
}
