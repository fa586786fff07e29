package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pass accounting of {@code sdsat-chain}, {@code sdsat-lookup} and the two-step oracle: which pass widths occur and
 * how many, derived from the acceptance counts (greedy equivalence itself is in {@link GreedyEquivalenceTest}).
 */
class SdsatChainDecoderTest {
    @BeforeAll
    static void models() {
        GreedyEquivalenceTest.models();
    }

    @AfterAll
    static void close() {
        GreedyEquivalenceTest.close();
        GreedyEquivalenceTest.MODELS.clear();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            for (int k : new int[] {1, 2, 4, 7}) {
                out.add(Arguments.of(m, k));
            }
        }
        return out.stream();
    }

    /**
     * After the prefill (which drafts with its own SAT block) every loop with SAT drafts is one pass of 2k+1 tokens;
     * a loop follows a rejection with the draft-only pass [t, S×k] of k+1 tokens. So the (2k+1)-passes are the
     * drafted loops, and the (k+1)-passes are the drafted loops that rejected a draft (the last one may not be
     * followed by a pass when generation ends there).
     */
    @ParameterizedTest(name = "model {0}, k = {1}")
    @MethodSource("cases")
    void chainPassesFollowFromAcceptance(int modelIndex, int k) {
        LlamaModel model = GreedyEquivalenceTest.MODELS.get(modelIndex);
        int vocab = model.config().vocabSize();
        long[] prompt = GreedyEquivalenceTest.prompt(9, vocab, 77L * modelIndex + k);
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(60).k(k).build();
        GenerationResult r = DraftVerifyDecoder.chain(model, vocab - 1).generate(prompt, c);
        GenerationStats s = r.stats();
        long[] widths = s.decodePassesByWidth(); // [2k+2]: index = new tokens in the pass
        assertThat(widths).hasSize(2 * k + 2);
        for (int w = 0; w < widths.length; w++) {
            if (w != k + 1 && w != 2 * k + 1) {
                assertThat(widths[w]).as("passes of width %d", w).isZero();
            }
        }
        assertThat(s.forwardPasses()).isEqualTo(1 + s.loops());
        assertThat(s.draftedTokens() % k).isZero();
        long draftedLoops = s.draftedTokens() / k;
        long fullyAccepted = s.acceptedPerPosition()[k - 1];
        assertThat(widths[2 * k + 1]).isEqualTo(draftedLoops);
        long rejected = draftedLoops - fullyAccepted;
        assertThat(widths[k + 1]).isBetween(rejected - 1, rejected);
        // every pass emits its bonus and its accepted drafts (the last may be cut by the length)
        assertThat(s.newTokens()).isLessThanOrEqualTo(1 + s.loops() + (int) s.acceptedTokens());
        assertThat(Arrays.stream(s.acceptedPerPosition()).sum()).isEqualTo(s.acceptedTokens());
    }

    /**
     * On a prompt that repeats a phrase, sdsat-lookup copies from the context like lookup: identical ids, fewer
     * passes than AR, and only passes of k+1 (lookup drafts, or the draft-only pass) or 2k+1 tokens (SAT drafts
     * with the next SAT block).
     */
    @ParameterizedTest(name = "model {0}")
    @ValueSource(ints = {0, 1, 2})
    void lookupHybridCopiesOnARepetitivePrompt(int modelIndex) {
        LlamaModel model = GreedyEquivalenceTest.MODELS.get(modelIndex);
        int vocab = model.config().vocabSize();
        long[] phrase = GreedyEquivalenceTest.prompt(8, vocab, 700 + modelIndex);
        long[] prompt = new long[phrase.length * 3];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = phrase[i % phrase.length];
        }
        int k = 4;
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(48).k(k).build();
        GenerationResult ar = new AutoregressiveDecoder(model).generate(prompt, c);
        GenerationResult hybrid =
                Decoders.create("sdsat-lookup", model, vocab - 1).generate(prompt, c);
        assertThat(hybrid.outputIds()).containsExactly(ar.outputIds());
        GenerationStats s = hybrid.stats();
        assertThat(s.acceptedTokens()).isPositive();
        assertThat(s.forwardPasses()).isLessThan(ar.stats().forwardPasses()).isEqualTo(1 + s.loops());
        long[] widths = s.decodePassesByWidth();
        for (int w = 0; w < widths.length; w++) {
            if (w != k + 1 && w != 2 * k + 1) {
                assertThat(widths[w]).as("passes of width %d", w).isZero();
            }
        }
        assertThat(s.draftedTokens()).isLessThanOrEqualTo((long) k * s.loops());
    }

    /**
     * With the AR output as reference every draft of the two-step oracle is accepted: the prefill emits 1 token and
     * each loop k+2 in two passes; a last loop may end after its draft pass (when t1 is the last token).
     */
    @ParameterizedTest(name = "k = {0}")
    @ValueSource(ints = {1, 3, 5, 8})
    void twoStepOracleAcceptsEveryDraft(int k) {
        LlamaModel model = GreedyEquivalenceTest.MODELS.get(2);
        long[] prompt = GreedyEquivalenceTest.prompt(9, model.config().vocabSize(), 4242);
        for (int tokens : new int[] {40, 41, 42, 43}) {
            GenerationConfig c =
                    GenerationConfig.builder().maxNewTokens(tokens).k(k).build();
            // k + 2 tokens longer than the run, so that even the last loop's drafts are the reference's (drafts past
            // its end are a filler that verification rejects)
            long[] reference = new AutoregressiveDecoder(model)
                    .generate(prompt, c.toBuilder().maxNewTokens(tokens + k + 2).build())
                    .outputIds();
            Decoder oracle = Decoders.oracleTwoStep(model, reference);
            assertThat(oracle.name()).isEqualTo("oracle-two-step");
            GenerationResult r = oracle.generate(prompt, c);
            assertThat(r.outputIds()).containsExactly(Arrays.copyOf(reference, tokens));
            GenerationStats s = r.stats();
            assertThat(s.acceptedTokens()).isEqualTo(s.draftedTokens());
            int loops = (tokens - 1) / (k + 2);
            int rest = tokens - 1 - loops * (k + 2);
            int expected = 1 + 2 * loops + Math.min(rest, 2);
            assertThat(s.forwardPasses()).as("%d tokens", tokens).isEqualTo(expected);
            assertThat(s.decodePassesByWidth()).hasSize(k + 2);
            assertThat(s.decodePassesByWidth()[k + 1]).isEqualTo(expected - 1);
        }
        assertThat(Decoders.names()).contains("sdsat-chain", "sdsat-lookup").doesNotContain("oracle-two-step");
    }
}
