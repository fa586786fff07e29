package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end on a real (tiny) model: the empirical joint distribution of the first {@link #LENGTH} generated tokens
 * of the sampling decoders against the exact autoregressive distribution, enumerated over all vocab^LENGTH
 * continuations with the model's forward pass. Exercises the wiring (which pass row is which distribution, positions,
 * the root at n+1); the acceptance rules themselves are checked with far more samples in
 * {@link SpeculativeSamplingTest}.
 *
 * <p>Generations per decoder: system property {@code sdsat.test.samplingN}, default 1500 so the suite stays fast on
 * two shared cores (one generation is three forward passes). The figures in docs/sampling.md come from a run with
 * {@code -Dsdsat.test.samplingN=20000}.
 */
class SamplingDistributionTest {
    static final int VOCAB = 8;
    static final long SAT = VOCAB - 1;
    static final int LENGTH = 3;
    static final long[] PROMPT = {1, 4, 2};
    static final int N = Integer.getInteger("sdsat.test.samplingN", 1500);
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.model(TinyModels.config(32, 1, 2, 1, VOCAB, false, 10000), 3);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Exact probability of every LENGTH-token continuation of PROMPT under autoregressive sampling. */
    static Map<Long, Double> exact(GenerationConfig c) {
        return exact(c, PROMPT);
    }

    /** Exact probability of every LENGTH-token continuation of {@code prompt} under autoregressive sampling. */
    static Map<Long, Double> exact(GenerationConfig c, long[] prompt) {
        ModelPasses passes = new ModelPasses(model);
        Map<Long, Double> out = new HashMap<>();
        try (KvCache cache = model.newCache(prompt.length + LENGTH)) {
            float[] logits = passes.logits(cache, prompt, ModelPasses.range(0, prompt.length), null, prompt.length - 1);
            enumerate(passes, cache, c, Sampler.distribution(logits, 0, VOCAB, c), new long[LENGTH], 0, 1.0, out);
        }
        return out;
    }

    private static void enumerate(
            ModelPasses passes,
            KvCache cache,
            GenerationConfig c,
            double[] p,
            long[] seq,
            int depth,
            double prob,
            Map<Long, Double> out) {
        for (int x = 0; x < VOCAB; x++) {
            if (p[x] == 0) {
                continue;
            }
            seq[depth] = x;
            if (depth == LENGTH - 1) {
                out.put(DistributionCheck.key(seq, LENGTH, VOCAB), prob * p[x]);
                continue;
            }
            int length = cache.length();
            float[] next = passes.logits(cache, new long[] {x}, new long[] {length}, null, 0);
            enumerate(passes, cache, c, Sampler.distribution(next, 0, VOCAB, c), seq, depth + 1, prob * p[x], out);
            cache.truncate(length);
        }
    }

    static DistributionCheck sample(Decoder decoder, GenerationConfig c, Map<Long, Double> exact) {
        return sample(decoder, c, exact, PROMPT);
    }

    static DistributionCheck sample(Decoder decoder, GenerationConfig c, Map<Long, Double> exact, long[] prompt) {
        Map<Long, Integer> counts = DistributionCheck.newCounts();
        for (int i = 0; i < N; i++) {
            GenerationResult r = decoder.generate(
                    prompt, c.toBuilder().maxNewTokens(LENGTH).seed(1000L + i).build());
            DistributionCheck.add(counts, DistributionCheck.key(r.outputIds(), LENGTH, VOCAB));
        }
        return DistributionCheck.compare(exact, counts, N);
    }

    @Test
    void losslessChainAndTreeSampleLikeAutoregressive() {
        GenerationConfig c = GenerationConfig.builder()
                .temperature(0.3)
                .topK(6)
                .topP(0.95)
                .k(5)
                .sampling(SamplingMode.LOSSLESS)
                .build();
        Map<Long, Double> exact = exact(c);
        DistributionCheck chain = sample(DraftVerifyDecoder.twoStep(model, SAT), c, exact);
        DistributionCheck tree = sample(new SdsatTreeDecoder(model, SAT), c, exact);
        System.out.printf("model, N = %d, %s%n  chain %s%n  tree  %s%n", N, c, chain, tree);
        assertThat(chain.passes()).as("lossless chain: %s", chain).isTrue();
        assertThat(tree.passes()).as("lossless tree: %s", tree).isTrue();
    }

    /**
     * Prompt lookup under both chain rules (with a point-mass proposal both are exact), and the oracle drafting a
     * fixed sequence. The prompt repeats short n-grams so that most generations verify copied drafts, and the
     * oracle's reference is a likely continuation, so drafts are accepted as well as rejected.
     */
    @Test
    void lookupAndOracleSampleLikeAutoregressive() {
        long[] prompt = {1, 4, 2, 1, 4, 3, 1, 4};
        GenerationConfig c = GenerationConfig.builder()
                .temperature(0.6)
                .topK(6)
                .topP(0.95)
                .k(3)
                .build();
        Map<Long, Double> exact = exact(c, prompt);
        long drafted = 0;
        for (int i = 0; i < 20; i++) {
            drafted += Decoders.create("lookup", model, -1)
                    .generate(
                            prompt,
                            c.toBuilder().maxNewTokens(LENGTH).seed(1000L + i).build())
                    .stats()
                    .draftedTokens();
        }
        assertThat(drafted).as("lookup drafts on this prompt").isPositive();
        DistributionCheck lossless = sample(Decoders.create("lookup", model, -1), c, exact, prompt);
        DistributionCheck paper = sample(
                Decoders.create("lookup", model, -1),
                c.toBuilder().sampling(SamplingMode.PAPER).build(),
                exact,
                prompt);
        long[] likely = exact.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(e -> {
                    long[] ids = new long[LENGTH];
                    long key = e.getKey();
                    for (int i = 0; i < LENGTH; i++) {
                        ids[i] = key % VOCAB;
                        key /= VOCAB;
                    }
                    return ids;
                })
                .orElseThrow();
        DistributionCheck oracle = sample(Decoders.oracle(model, likely), c, exact, prompt);
        System.out.printf(
                "model, N = %d, %s%n  lookup lossless %s%n  lookup paper    %s%n  oracle lossless %s%n",
                N, c, lossless, paper, oracle);
        assertThat(lossless.passes()).as("lookup lossless: %s", lossless).isTrue();
        assertThat(paper.passes()).as("lookup paper chain rule: %s", paper).isTrue();
        assertThat(oracle.passes()).as("oracle lossless: %s", oracle).isTrue();
    }

    /**
     * The paper's tree rule: a measurement for docs/sampling.md, and a check that the bias is visible. (The paper's
     * chain rule is distribution-preserving; SpeculativeSamplingTest checks that.)
     */
    @Test
    void paperTreeRuleIsBiased() {
        GenerationConfig c = GenerationConfig.builder()
                .temperature(0.3)
                .topK(6)
                .topP(0.95)
                .k(5)
                .sampling(SamplingMode.PAPER)
                .build();
        Map<Long, Double> exact = exact(c);
        DistributionCheck tree = sample(new SdsatTreeDecoder(model, SAT), c, exact);
        System.out.printf("model, N = %d, %s%n  tree  %s%n", N, c, tree);
        assertThat(tree.passes())
                .as("paper tree is expected to be biased: %s", tree)
                .isFalse();
    }
}
