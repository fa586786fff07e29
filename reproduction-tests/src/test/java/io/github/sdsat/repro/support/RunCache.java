package io.github.sdsat.repro.support;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationResult;
import java.util.HashMap;
import java.util.Map;

/**
 * Greedy runs of the speculative decoders by (model, decoder, k, prompt, budget). Greedy token counts are
 * deterministic, so the tokens-per-pass gate reads the equivalence gate's runs instead of repeating them (timings in
 * these records are not used: the wall-clock gate times its own interleaved runs); pass counts are the model's
 * ({@link MeteredRun}).
 */
public final class RunCache {
    private static final Map<String, MeteredRun> RESULTS = new HashMap<>();

    private RunCache() {}

    private static String key(ReproModel model, String decoder, int k, ReproPrompt prompt, int maxNewTokens) {
        return System.identityHashCode(model) + "|" + decoder + "|" + k + "|" + prompt.id() + "|" + prompt.ids().length
                + "|" + maxNewTokens;
    }

    public static synchronized void put(
            ReproModel model, Decoder decoder, int k, ReproPrompt prompt, int maxNewTokens, MeteredRun result) {
        RESULTS.put(key(model, decoder.name(), k, prompt, maxNewTokens), result);
    }

    /** The run with its passes counted at the model boundary ({@link MeteredRun#counted()}). */
    public static GenerationResult greedy(
            ReproModel model, Decoder decoder, int k, ReproPrompt prompt, int maxNewTokens) {
        return metered(model, decoder, k, prompt, maxNewTokens).counted();
    }

    public static synchronized MeteredRun metered(
            ReproModel model, Decoder decoder, int k, ReproPrompt prompt, int maxNewTokens) {
        return RESULTS.computeIfAbsent(
                key(model, decoder.name(), k, prompt, maxNewTokens),
                ignored -> MeteredRun.generate(
                        model.model(), decoder, prompt.ids(), BaselineCache.config(prompt, maxNewTokens, k)));
    }
}
