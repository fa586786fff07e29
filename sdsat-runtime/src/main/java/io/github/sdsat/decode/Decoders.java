package io.github.sdsat.decode;

import io.github.sdsat.model.LlamaModel;
import java.util.List;

/** Creates decoders by their public names (the values of {@code sdsat.decoder}). */
public final class Decoders {
    private Decoders() {}

    /** Names of the decoders this build provides, baseline first. */
    public static List<String> names() {
        return List.of(
                AutoregressiveDecoder.NAME,
                SdsatTwoStepDecoder.NAME,
                SdsatSinglePassDecoder.NAME,
                SdsatTreeDecoder.NAME,
                DraftVerifyDecoder.LOOKUP,
                SdsatChainDecoder.NAME,
                SdsatChainDecoder.LOOKUP_NAME);
    }

    /**
     * Temperature and sampling mode come with each {@link GenerationConfig}: {@code ar}, {@code sdsat} (chain) and
     * {@code sdsat-tree} decode greedily at temperature 0 and sample otherwise; {@code sdsat-single-pass} is greedy
     * only and refuses a sampling config with a message naming the alternatives. {@code lookup} (prompt lookup: drafts
     * copied from the context, verified in one pass) does both and needs no SAT token. {@code sdsat-chain} (one pass
     * per loop with the SAT block after the draft chain) and {@code sdsat-lookup} (lookup drafts, SAT drafts where
     * the lookup finds nothing) are greedy only and refuse a sampling config like {@code sdsat-single-pass}.
     *
     * @param satToken id of the model's SAT token (ignored by {@code ar} and {@code lookup}; may be -1 there)
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
            case DraftVerifyDecoder.LOOKUP:
                return DraftVerifyDecoder.lookup(model);
            case SdsatChainDecoder.NAME:
                return SdsatChainDecoder.chain(model, requireSat(name, satToken));
            case SdsatChainDecoder.LOOKUP_NAME:
                return SdsatChainDecoder.withLookup(model, requireSat(name, satToken));
            default:
                throw new IllegalArgumentException("Unknown decoder '" + name + "': use one of " + names());
        }
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
        return new DraftVerifyDecoder(model, DraftVerifyDecoder.ORACLE, config -> new OracleDrafter(reference));
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
        long[] reference = checkedReference(model, referenceOutput, SdsatTwoStepDecoder.ORACLE_NAME);
        return new SdsatTwoStepDecoder(model, 0, reference);
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

    private static long requireSat(String decoder, long satToken) {
        if (satToken < 0) {
            throw new IllegalArgumentException("Decoder " + decoder + " needs a SAT token, but the model's tokenizer "
                    + "has none: set sdsat.satToken to the id or text of the model's SAT token");
        }
        return satToken;
    }
}
