package io.github.sdsat.repro.support;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationResult;
import java.util.HashMap;
import java.util.Map;

/**
 * Greedy runs of the speculative decoders by (model, decoder, k, prompt, budget). Greedy token counts are
 * deterministic, so the tokens-per-pass gate reads the equivalence gate's runs instead of repeating them (timings in
 * these records are not used: the wall-clock gate times its own interleaved runs).
 */
public final class RunCache {
    private static final Map<String, GenerationResult> RESULTS = new HashMap<>();

    private RunCache() {}

    private static String key(ReproModel model, String decoder, int k, ReproPrompt prompt, int maxNewTokens) {
        return System.identityHashCode(model) + "|" + decoder + "|" + k + "|" + prompt.id() + "|" + prompt.ids().length
                + "|" + maxNewTokens;
    }

    public static synchronized void put(
            ReproModel model, Decoder decoder, int k, ReproPrompt prompt, int maxNewTokens, GenerationResult result) {
        RESULTS.put(key(model, decoder.name(), k, prompt, maxNewTokens), result);
    }

    public static synchronized GenerationResult greedy(
            ReproModel model, Decoder decoder, int k, ReproPrompt prompt, int maxNewTokens) {
        return RESULTS.computeIfAbsent(
                key(model, decoder.name(), k, prompt, maxNewTokens),
                ignored -> decoder.generate(prompt.ids(), BaselineCache.config(prompt, maxNewTokens, k)));
    }
}
