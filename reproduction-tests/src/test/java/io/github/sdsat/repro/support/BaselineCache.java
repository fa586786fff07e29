package io.github.sdsat.repro.support;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.LlamaModel;
import java.util.HashMap;
import java.util.Map;

/**
 * Autoregressive greedy outputs, computed once per (model, prompt, token budget) and shared by every test class of
 * the JVM: the equivalence matrix compares several decoders and draft lengths against the same baseline.
 */
public final class BaselineCache {
    private static final Map<String, GenerationResult> RESULTS = new HashMap<>();
    private static final Map<LlamaModel, Decoder> DECODERS = new HashMap<>();

    private BaselineCache() {}

    public static synchronized GenerationResult greedy(ReproModel model, ReproPrompt prompt, int maxNewTokens) {
        String key =
                System.identityHashCode(model) + "|" + prompt.id() + "|" + prompt.ids().length + "|" + maxNewTokens;
        return RESULTS.computeIfAbsent(
                key,
                ignored -> DECODERS.computeIfAbsent(model.model(), AutoregressiveDecoder::new)
                        .generate(prompt.ids(), config(prompt, maxNewTokens, 0)));
    }

    /** Greedy settings of the gates: the prompt's stop tokens, the budget, and k (ignored by the baseline). */
    public static GenerationConfig config(ReproPrompt prompt, int maxNewTokens, int k) {
        return GenerationConfig.builder()
                .maxNewTokens(maxNewTokens)
                .k(Math.max(k, 1))
                .stopTokenIds(prompt.stopTokenIds())
                .build();
    }
}
