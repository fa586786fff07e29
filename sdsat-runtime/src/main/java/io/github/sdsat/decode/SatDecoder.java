package io.github.sdsat.decode;

import io.github.sdsat.model.LlamaModel;

/**
 * A decoder that drafts with the model's SAT token: holds its id, checked against the vocabulary once, and the range
 * of k (SAT tokens per draft pass) every SAT decoder accepts.
 */
abstract class SatDecoder extends AbstractDecoder {
    /** Most SAT tokens per draft pass (the paper sweeps k up to 13). */
    public static final int MAX_K = 15;

    protected final long satToken;

    SatDecoder(LlamaModel model, long satToken) {
        super(model);
        if (satToken < 0 || satToken >= model.config().vocabSize()) {
            throw new IllegalArgumentException("SAT token id " + satToken + " is outside the vocabulary [0, "
                    + model.config().vocabSize() + "): pass the id of the model's <sat> token (sdsat.satToken)");
        }
        this.satToken = satToken;
    }

    /** Refuses a k outside 1..{@value #MAX_K}, naming this decoder. */
    protected void checkK(GenerationConfig config) {
        if (config.k() < 1 || config.k() > MAX_K) {
            throw new IllegalArgumentException(
                    name() + " supports k from 1 to " + MAX_K + " SAT tokens, got k = " + config.k());
        }
    }
}
