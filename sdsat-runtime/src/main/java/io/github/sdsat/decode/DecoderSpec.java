package io.github.sdsat.decode;

import io.github.sdsat.model.LlamaModel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the rest of the toolkit may know about a decoder without running it: one entry of {@link DecoderRegistry}.
 * The decoders enforce {@code samples} and {@code kRange} through the registry ({@link DecoderRegistry#validate});
 * {@code passesPerLoop} and {@code drafts} are statements of the decoder's algorithm that the count gates of
 * reproduction-tests hold its measured passes and drafts to, so a decoder that passes or drafts otherwise fails there.
 *
 * @param name the public name ({@code sdsat.decoder})
 * @param usesSat whether it drafts with the model's SAT token (creating it without one is refused)
 * @param samples whether it runs at temperature &gt; 0; a greedy-only decoder refuses a sampling config
 * @param passesPerLoop forward passes per loop after the prefill (a two-pass loop may end after its first pass)
 * @param drafts how many drafts a loop verifies
 * @param kRange the k it accepts and what k means for it
 * @param factory creates it on a model, given the SAT token id (already checked when {@code usesSat})
 */
public record DecoderSpec(
        String name,
        boolean usesSat,
        boolean samples,
        int passesPerLoop,
        Drafts drafts,
        KRange kRange,
        Factory factory) {

    /** How many drafts each verification of a loop covers. */
    public enum Drafts {
        /** No drafts: one token per pass (the autoregressive baseline). */
        NONE,
        /** Exactly k: the whole SAT block or the tree's depth, every loop. */
        EXACTLY_K,
        /** At most k: drafts copied from the context, or a chain cut short by a rejection. */
        AT_MOST_K
    }

    /** Creates the decoder on a loaded model. */
    @FunctionalInterface
    public interface Factory {
        Decoder create(LlamaModel model, long satToken);
    }

    public DecoderSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A decoder spec needs a name (the value of sdsat.decoder)");
        }
        if (passesPerLoop < 1 || drafts == null || kRange == null || factory == null) {
            throw new IllegalArgumentException(
                    "Decoder spec " + name + " needs passesPerLoop >= 1, its drafts, its " + "k range and its factory");
        }
        if ((drafts == Drafts.NONE) != kRange.isIgnored()) {
            throw new IllegalArgumentException("Decoder spec " + name + ": a decoder ignores k exactly when it "
                    + "drafts nothing (drafts " + drafts + ", k " + kRange.text() + ")");
        }
    }

    /** The facts as written to results.json's {@code config.decoderSpecs} (the factory left out). */
    public Map<String, Object> facts() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("name", name);
        facts.put("usesSat", usesSat);
        facts.put("samples", samples);
        facts.put("passesPerLoop", passesPerLoop);
        facts.put("drafts", drafts.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        facts.put("kRange", kRange.text());
        facts.put("kMeaning", kRange.meaning());
        return facts;
    }
}
