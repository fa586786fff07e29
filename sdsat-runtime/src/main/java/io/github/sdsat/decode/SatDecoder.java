package io.github.sdsat.decode;

import io.github.sdsat.model.LlamaModel;

/**
 * A decoder that drafts with the model's SAT token: holds its id, checked against the vocabulary once (its k range is
 * in its {@link DecoderRegistry} entry).
 */
abstract class SatDecoder extends AbstractDecoder {
    protected final long satToken;

    SatDecoder(LlamaModel model, long satToken) {
        super(model);
        if (satToken < 0 || satToken >= model.config().vocabSize()) {
            throw new IllegalArgumentException("SAT token id " + satToken + " is outside the vocabulary [0, "
                    + model.config().vocabSize() + "): pass the id of the model's <sat> token (sdsat.satToken)");
        }
        this.satToken = satToken;
    }
}
