package io.github.sdsat.plugin;

import io.github.sdsat.bench.GenerationGoal;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import java.io.File;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Generates one completion of a prompt and prints the generated text, then the generation's statistics as one
 * JSON object on one line: {@code newTokens}, {@code forwardPasses}, {@code draftedTokens},
 * {@code acceptedTokens}, {@code acceptedPerPosition}, {@code prefillMs}, {@code decodeMs},
 * {@code tokensPerSecond}, {@code loops}, {@code promptIds} (as fed to the model, BOS included),
 * {@code outputIds}, {@code decoder}, {@code k}, {@code temperature}, {@code sampling}, {@code stopReason}
 * ({@code eos} or {@code length}), {@code device}, {@code dtype}.
 *
 * <p>Example: {@code mvn sdsat:generate -Dsdsat.prompt="def add(a, b):" -Dsdsat.k=5}
 */
@Mojo(name = "generate", requiresProject = false, aggregator = true, threadSafe = true)
public class GenerateMojo extends AbstractSdsatMojo {

    /** The text to continue. Give this or {@code sdsat.promptFile}. */
    @Parameter(property = "sdsat.prompt")
    String prompt;

    /** A UTF-8 file whose whole content is the prompt (instead of {@code sdsat.prompt}). */
    @Parameter(property = "sdsat.promptFile")
    File promptFile;

    /**
     * Decoding strategy: {@code ar} (plain autoregressive, the baseline), {@code sdsat} (the paper's two-step
     * draft/verify scheme), {@code sdsat-single-pass} (verify and draft merged into one pass), and whatever
     * else this build provides (e.g. {@code sdsat-tree}); an unknown name fails and lists the available ones.
     */
    @Parameter(property = "sdsat.decoder", defaultValue = SdsatTwoStepDrafter.NAME)
    String decoder;

    /** Number of SAT tokens per draft (SDSAT decoders; {@code sdsat} accepts 1..15). Ignored by {@code ar}. */
    @Parameter(property = "sdsat.k", defaultValue = "5")
    int k;

    /** Sampling temperature; 0 is greedy decoding (SDSAT's output then equals {@code ar}'s token for token). */
    @Parameter(property = "sdsat.temperature", defaultValue = "0")
    double temperature;

    /** Nucleus sampling: keep the smallest set of tokens with this much probability mass; 1 turns it off. */
    @Parameter(property = "sdsat.topP", defaultValue = "1.0")
    double topP;

    /** Keep only the most likely this many tokens when sampling; 0 turns it off. */
    @Parameter(property = "sdsat.topK", defaultValue = "0")
    int topK;

    /**
     * How sampled drafts are accepted: {@code lossless} (exact speculative sampling; the output distribution
     * equals {@code ar}'s) or {@code paper} (the paper's rule, which is not distribution-preserving).
     */
    @Parameter(property = "sdsat.sampling", defaultValue = "lossless")
    String sampling;

    /** Upper limit on generated tokens; generation also ends at the model's EOS token. */
    @Parameter(property = "sdsat.maxNewTokens", defaultValue = "128")
    int maxNewTokens;

    /** Also write the stats JSON object to this file (written to a temporary name and moved into place). */
    @Parameter(property = "sdsat.statsFile")
    File statsFile;

    @Override
    protected void run() {
        GenerationConfig generation = GenerationConfig.builder()
                .maxNewTokens(maxNewTokens)
                .temperature(temperature)
                .topP(topP)
                .topK(topK)
                .seed(seed)
                .k(k)
                .sampling(SamplingMode.parse(sampling))
                .build();
        GenerationGoal.generate(
                new GenerationGoal.Request(
                        modelFolder(),
                        device,
                        dtype,
                        satToken,
                        prompt,
                        promptFile == null ? null : promptFile.toPath(),
                        decoder,
                        generation,
                        statsFile == null ? null : statsFile.toPath()),
                getLog()::info);
    }
}
