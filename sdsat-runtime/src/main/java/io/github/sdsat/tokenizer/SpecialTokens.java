package io.github.sdsat.tokenizer;

import java.util.OptionalInt;

/**
 * Ids of the tokens the decoders and the trainer treat specially.
 *
 * @param bos beginning of sequence, prepended by {@link SdsatTokenizer#encodeWithBos(String)}
 * @param eos end of sequence; generation stops on it
 * @param sat the semantic adaptive token that SDSAT appends to draft several tokens at once, if the vocabulary has one
 * @param fimPrefix fill-in-the-middle sentinel before the prefix (CodeLlama {@code <PRE>}, StarCoder {@code <fim_prefix>})
 * @param fimSuffix sentinel before the suffix
 * @param fimMiddle sentinel after which the model writes the middle
 * @param fimEndOfInfill CodeLlama's {@code <EOT>} that ends an infilled middle (StarCoder has none and ends with EOS)
 */
public record SpecialTokens(
        int bos,
        int eos,
        OptionalInt sat,
        OptionalInt fimPrefix,
        OptionalInt fimSuffix,
        OptionalInt fimMiddle,
        OptionalInt fimEndOfInfill) {

    /** True when prefix, suffix and middle sentinels all exist, so a fill-in-the-middle prompt can be built. */
    public boolean supportsInfilling() {
        return fimPrefix.isPresent() && fimSuffix.isPresent() && fimMiddle.isPresent();
    }
}
