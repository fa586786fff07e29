package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.LoadedModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One completion from a text prompt, behind {@code mvn sdsat:generate}: the prompt is encoded as BOS + its tokens,
 * generation stops at EOS or after {@code maxNewTokens}, and the result carries the text and the stats object of
 * docs/DESIGN.md §9.
 */
public final class TextGeneration {
    private TextGeneration() {}

    /**
     * What to generate.
     *
     * @param model model folder
     * @param device {@code auto}, {@code cpu}, {@code gpu}, {@code gpuN}
     * @param dtype {@code auto}, {@code float32}, {@code float16}
     * @param satToken SAT token id or text, null for the tokenizer's
     * @param prompt the text to continue (not empty)
     * @param decoder a name of {@link Decoders#names()}
     * @param generation limits, temperature, k, sampling rule and seed (stop tokens are set from the model)
     */
    public record Request(
            Path model,
            String device,
            String dtype,
            String satToken,
            String prompt,
            String decoder,
            GenerationConfig generation) {
        public Request {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(generation, "generation");
            if (prompt == null || prompt.isEmpty()) {
                throw new IllegalArgumentException("The prompt is empty: give text with sdsat.prompt or a "
                        + "non-empty file with sdsat.promptFile");
            }
            if (decoder == null || !Decoders.names().contains(decoder)) {
                throw new IllegalArgumentException(
                        "Unknown decoder '" + decoder + "' (sdsat.decoder): use one of " + Decoders.names());
            }
        }
    }

    /**
     * The generation.
     *
     * @param text the generated text, special tokens (EOS) left out
     * @param result ids and stats
     * @param stats the stats object printed as JSON (see {@link #statsJson})
     */
    public record Outcome(String text, GenerationResult result, Map<String, Object> stats) {}

    /** Loads the model, generates, and closes the model. */
    public static Outcome run(Request request) {
        DeviceChoice choice = DeviceChoice.resolve(request.device(), request.dtype());
        try (LoadedModel loaded = LoadedModel.open(request.model(), choice, request.satToken())) {
            long[] prompt = loaded.tokenizer().encodeWithBos(request.prompt());
            PromptEncoder encoder = new PromptEncoder(
                    loaded.tokenizer(), loaded.model().config().eosTokenIds());
            GenerationConfig generation = request.generation().toBuilder()
                    .stopTokenIds(encoder.stopTokens(Task.completion("prompt", "generate", request.prompt())))
                    .build();
            Decoder decoder;
            try {
                decoder = Decoders.create(request.decoder(), loaded.model(), loaded.satToken());
            } catch (IllegalArgumentException e) {
                throw new SdsatException("sdsat.decoder " + request.decoder() + ": " + e.getMessage(), e);
            }
            decoder.validate(generation);
            GenerationResult result = decoder.generate(prompt, generation);
            String text = loaded.tokenizer().decode(result.outputIds(), true);
            return new Outcome(
                    text,
                    result,
                    statsJson(
                            result,
                            request.decoder(),
                            generation,
                            choice,
                            loaded.model().weightPrecision()));
        }
    }

    /**
     * The stats object: {@code newTokens}, {@code forwardPasses}, {@code draftedTokens}, {@code acceptedTokens},
     * {@code acceptedPerPosition}, {@code prefillMs}, {@code decodeMs}, {@code tokensPerSecond}, {@code loops},
     * {@code promptIds} (BOS included), {@code outputIds}, {@code decoder}, {@code k} (0 for {@code ar}),
     * {@code temperature}, {@code sampling} (null when greedy), {@code stopReason} ({@code eos} or
     * {@code length}), {@code device}, {@code dtype} (the weights' precision as the pass holds them, {@link
     * io.github.sdsat.model.LlamaModel#weightPrecision}: "bfloat16" for a bfloat16 checkpoint on the Java pass).
     */
    public static Map<String, Object> statsJson(
            GenerationResult result,
            String decoder,
            GenerationConfig generation,
            DeviceChoice choice,
            String weightPrecision) {
        GenerationStats stats = result.stats();
        boolean ar = decoder.equals(io.github.sdsat.decode.AutoregressiveDecoder.NAME);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("newTokens", stats.newTokens());
        json.put("forwardPasses", stats.forwardPasses());
        json.put("draftedTokens", stats.draftedTokens());
        json.put("acceptedTokens", stats.acceptedTokens());
        json.put("acceptedPerPosition", stats.acceptedPerPosition());
        json.put("prefillMs", stats.prefillMs());
        json.put("decodeMs", stats.decodeMs());
        json.put("tokensPerSecond", stats.tokensPerSecond());
        json.put("loops", stats.loops());
        json.put("promptIds", result.promptIds());
        json.put("outputIds", result.outputIds());
        json.put("decoder", decoder);
        json.put("k", ar ? 0 : generation.k());
        json.put("temperature", generation.temperature());
        json.put(
                "sampling", generation.isGreedy() ? null : generation.sampling().id());
        json.put("stopReason", result.stopReason());
        json.put("device", choice.device().toString());
        json.put("dtype", weightPrecision);
        return json;
    }
}
