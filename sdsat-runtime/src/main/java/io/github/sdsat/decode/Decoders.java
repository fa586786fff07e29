package io.github.sdsat.decode;

import io.github.sdsat.model.LlamaModel;

import java.util.List;

/** Creates decoders by their public names (the values of {@code sdsat.decoder}). */
public final class Decoders {
    private Decoders() {
    }

    /** Names of the decoders this build provides, baseline first. */
    public static List<String> names() {
        return List.of(AutoregressiveDecoder.NAME, SdsatTwoStepDecoder.NAME, SdsatSinglePassDecoder.NAME,
                SdsatTreeDecoder.NAME);
    }

    /**
     * Temperature and sampling mode come with each {@link GenerationConfig}: {@code ar}, {@code sdsat} (chain) and
     * {@code sdsat-tree} decode greedily at temperature 0 and sample otherwise; {@code sdsat-single-pass} is greedy
     * only and refuses a sampling config with a message naming the alternatives.
     *
     * @param satToken id of the model's SAT token (ignored by the autoregressive decoder; may be -1 there)
     */
    public static Decoder create(String name, LlamaModel model, long satToken) {
        switch (name) {
            case AutoregressiveDecoder.NAME:
                return new AutoregressiveDecoder(model);
            case SdsatTwoStepDecoder.NAME:
                return new SdsatTwoStepDecoder(model, requireSat(name, satToken));
            case SdsatSinglePassDecoder.NAME:
                return new SdsatSinglePassDecoder(model, requireSat(name, satToken));
            case SdsatTreeDecoder.NAME:
                return new SdsatTreeDecoder(model, requireSat(name, satToken));
            default:
                throw new IllegalArgumentException("Unknown decoder '" + name + "': use one of " + names());
        }
    }

    private static long requireSat(String decoder, long satToken) {
        if (satToken < 0) {
            throw new IllegalArgumentException("Decoder " + decoder + " needs a SAT token, but the model's tokenizer "
                    + "has none: set sdsat.satToken to the id or text of the model's SAT token");
        }
        return satToken;
    }
}
