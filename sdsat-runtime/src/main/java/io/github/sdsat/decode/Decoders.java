package io.github.sdsat.decode;

import io.github.sdsat.model.LlamaModel;
import java.util.List;

/** Creates decoders by their public names (the values of {@code sdsat.decoder}), from {@link DecoderRegistry}. */
public final class Decoders {
    private Decoders() {}

    /** Names of the decoders this build provides, baseline first ({@link DecoderRegistry#names()}). */
    public static List<String> names() {
        return DecoderRegistry.names();
    }

    /**
     * Creates a decoder of {@link #names()} from its {@link DecoderRegistry} entry. Temperature and sampling mode come
     * with each {@link GenerationConfig}; the entry says whether the decoder samples ({@code ar}, {@code sdsat},
     * {@code sdsat-tree} and {@code lookup} do; the others are greedy only and refuse a sampling config with a message
     * naming the ones that sample) and which k it accepts.
     *
     * @param satToken id of the model's SAT token (ignored by decoders that do not use it, e.g. {@code ar} and
     *     {@code lookup}; may be -1 there)
     * @throws IllegalArgumentException for an unknown name, or a SAT decoder without a SAT token
     */
    public static Decoder create(String name, LlamaModel model, long satToken) {
        DecoderSpec spec = DecoderRegistry.spec(name);
        if (spec.usesSat() && satToken < 0) {
            throw new IllegalArgumentException("Decoder " + name + " needs a SAT token, but the model's tokenizer "
                    + "has none: set sdsat.satToken to the id or text of the model's SAT token");
        }
        return spec.factory().create(model, satToken);
    }

    /**
     * Benchmark-only decoder {@code oracle} (not among {@link #names()}): drafts the next k tokens of
     * {@code referenceOutput} and verifies them like {@code lookup}. With the autoregressive output of the same
     * prompt as reference, every draft is accepted (greedy), which measures the verification loop's ceiling.
     *
     * @param referenceOutput output ids to draft from, e.g. a previous {@code ar} run's {@code outputIds()}
     */
    public static Decoder oracle(LlamaModel model, long[] referenceOutput) {
        long[] reference = checkedReference(model, referenceOutput, DraftVerifyDecoder.ORACLE);
        return new DraftVerifyDecoder(
                model, DraftVerifyDecoder.ORACLE, DraftVerifyDecoder.NO_SAT, config -> new OracleDrafter(reference));
    }

    /**
     * Benchmark-only decoder {@code oracle-two-step} (not among {@link #names()}, greedy only): SDSAT's two-step loop
     * (a draft pass of k+1 tokens, then a verify pass of k+1 tokens) whose drafts are the next k tokens of
     * {@code referenceOutput} instead of the SAT rows' argmax. With the autoregressive output as reference every draft
     * is accepted: k+2 tokens per two passes, what the two-step machinery delivers at perfect acceptance. The draft
     * pass still feeds k SAT-position tokens (token id 0: only its cost and t's row matter), so no SAT token is needed.
     *
     * @param referenceOutput output ids to draft from, e.g. a previous {@code ar} run's {@code outputIds()}
     */
    public static Decoder oracleTwoStep(LlamaModel model, long[] referenceOutput) {
        long[] reference = checkedReference(model, referenceOutput, SdsatTwoStepDrafter.ORACLE_NAME);
        return new DraftVerifyDecoder(
                model, SdsatTwoStepDrafter.ORACLE_NAME, 0, config -> new SdsatTwoStepDrafter(config.k(), reference));
    }

    private static long[] checkedReference(LlamaModel model, long[] referenceOutput, String decoder) {
        if (referenceOutput == null) {
            throw new IllegalArgumentException("Decoder " + decoder + " needs a reference output: pass the output ids "
                    + "of a previous run on the same prompt");
        }
        int vocab = model.config().vocabSize();
        for (long id : referenceOutput) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("Reference token id " + id + " of decoder " + decoder + " is "
                        + "outside the model's vocabulary [0, " + vocab + "): pass output ids of this model");
            }
        }
        return referenceOutput.clone();
    }
}
