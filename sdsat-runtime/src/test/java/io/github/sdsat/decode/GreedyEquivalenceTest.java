package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Greedy SDSAT decoders must reproduce autoregressive greedy ids exactly, for any weights. Small vocabularies make
 * drafts match by chance often, so accepted runs of several drafts (and their KV bookkeeping) are exercised too.
 */
class GreedyEquivalenceTest {
    static final List<LlamaModel> MODELS = new ArrayList<>();

    @BeforeAll
    static void models() {
        MODELS.add(TinyModels.model(TinyModels.config(64, 2, 4, 2, 11, false, 10000), 1)); // GQA, tiny vocab
        MODELS.add(TinyModels.model(TinyModels.config(64, 2, 4, 4, 23, true, 10000), 2)); // MHA, tied
        MODELS.add(TinyModels.model(TinyModels.config(48, 3, 6, 2, 97, false, 500000), 3)); // GQA 3:1
    }

    @AfterAll
    static void close() {
        MODELS.forEach(LlamaModel::close);
    }

    static long[] prompt(int length, int vocab, long seed) {
        Random r = new Random(seed);
        long[] p = new long[length];
        for (int i = 0; i < length; i++) {
            p[i] = r.nextInt(vocab);
        }
        return p;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            for (int promptLength : new int[] {1, 9, 30}) {
                out.add(Arguments.of(m, promptLength));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "model {0}, prompt length {1}, k = 1..8")
    @MethodSource("cases")
    void speculativeDecodersEqualArGreedy(int modelIndex, int promptLength) {
        LlamaModel model = MODELS.get(modelIndex);
        int vocab = model.config().vocabSize();
        long[] prompt = prompt(promptLength, vocab, 31L * modelIndex + promptLength);
        long sat = vocab - 1;
        GenerationConfig base = GenerationConfig.builder().maxNewTokens(64).build();
        long[] expected =
                new AutoregressiveDecoder(model).generate(prompt, base).outputIds();
        assertThat(expected).hasSize(64);
        long accepted = 0;
        for (int k = 1; k <= 8; k++) {
            GenerationConfig c = base.toBuilder().k(k).build();
            List<Decoder> decoders = new ArrayList<>(speculative(model, sat, 1, 8));
            decoders.add(Decoders.oracleTwoStep(model, expected));
            for (Decoder d : decoders) {
                GenerationResult r = d.generate(prompt, c);
                assertThat(r.outputIds()).as("%s k=%d", d.name(), k).containsExactly(expected);
                assertThat(r.stopReason()).isEqualTo("length");
                accepted += r.stats().acceptedTokens();
                // accepted drafts are flagged as such (the last loop may stop emitting before all of its drafts)
                long flagged = 0;
                for (boolean f : r.fromDraft()) {
                    flagged += f ? 1 : 0;
                }
                assertThat(flagged)
                        .as("%s k=%d flagged drafts", d.name(), k)
                        .isBetween(r.stats().acceptedTokens() - k, r.stats().acceptedTokens());
                assertThat(r.fromDraft()[0])
                        .as("the prefill's token is not a draft")
                        .isFalse();
            }
        }
        if (vocab <= 11) {
            assertThat(accepted).as("tiny vocabularies accept drafts by chance").isPositive();
        }
    }

    /**
     * A prompt that repeats itself (a random phrase three times) on every model: lookup finds its suffix earlier in
     * the context from the first loop on, accepts copied drafts, and needs fewer passes than AR for the same ids.
     */
    @ParameterizedTest(name = "model {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 2})
    void lookupAcceptsCopiesOnARepetitivePrompt(int modelIndex) {
        LlamaModel model = MODELS.get(modelIndex);
        int vocab = model.config().vocabSize();
        long[] phrase = prompt(8, vocab, 700 + modelIndex);
        long[] prompt = new long[phrase.length * 3];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = phrase[i % phrase.length];
        }
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(48).k(4).build();
        GenerationResult ar = new AutoregressiveDecoder(model).generate(prompt, c);
        GenerationResult lookup = Decoders.create("lookup", model, -1).generate(prompt, c);
        assertThat(lookup.outputIds()).containsExactly(ar.outputIds());
        GenerationStats s = lookup.stats();
        System.out.printf(
                "lookup, model %d: %d passes (ar %d), %d of %d drafts accepted, %d loops%n",
                modelIndex,
                s.forwardPasses(),
                ar.stats().forwardPasses(),
                s.acceptedTokens(),
                s.draftedTokens(),
                s.loops());
        assertThat(s.acceptedTokens()).as("accepted drafts").isPositive();
        assertThat(s.forwardPasses()).as("passes vs ar").isLessThan(ar.stats().forwardPasses());
        // one pass per loop plus the prefill; every emitted token is a pass's choice or an accepted draft
        assertThat(s.forwardPasses()).isEqualTo(1 + s.loops());
        assertThat(Arrays.stream(s.acceptedPerPosition()).sum()).isEqualTo(s.acceptedTokens());
        assertThat(s.acceptedPerPosition()).hasSize(4);
        assertThat(s.draftedTokens()).isLessThanOrEqualTo(4L * s.loops());
        long flagged = 0;
        for (boolean f : lookup.fromDraft()) {
            flagged += f ? 1 : 0;
        }
        assertThat(flagged).isBetween(s.acceptedTokens() - 4, s.acceptedTokens());
    }

    /** The oracle drafts the AR output itself: every draft is accepted, k + 1 tokens per pass after the prefill. */
    @ParameterizedTest(name = "k = {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3, 5, 8})
    void oracleWithTheArOutputAcceptsEveryDraft(int k) {
        LlamaModel model = MODELS.get(2);
        long[] prompt = prompt(9, model.config().vocabSize(), 4242);
        int tokens = 40;
        GenerationConfig c =
                GenerationConfig.builder().maxNewTokens(tokens).k(k).build();
        long[] reference = new AutoregressiveDecoder(model).generate(prompt, c).outputIds();
        Decoder oracle = Decoders.oracle(model, reference);
        assertThat(oracle.name()).isEqualTo("oracle");
        GenerationResult r = oracle.generate(prompt, c);
        assertThat(r.outputIds()).containsExactly(reference);
        GenerationStats s = r.stats();
        assertThat(s.acceptedTokens()).isEqualTo(s.draftedTokens());
        // the prefill emits 1 token, then each pass k + 1 (k drafts + the bonus)
        assertThat(s.forwardPasses()).isEqualTo(1 + (tokens - 1 + k) / (k + 1));
        int flagged = 0;
        for (boolean f : r.fromDraft()) {
            flagged += f ? 1 : 0;
        }
        // the tokens not flagged are the prefill's and the emitted bonuses (the last pass's may be cut by length)
        assertThat(flagged).isBetween(tokens - s.forwardPasses(), tokens - s.forwardPasses() + 1);
        // a second run reuses the decoder: the drafter starts again from the reference's beginning
        assertThat(oracle.generate(prompt, c).stats().forwardPasses()).isEqualTo(s.forwardPasses());
        assertThat(Decoders.names()).contains("lookup").doesNotContain("oracle");
    }

    /** EOS at each position of the output (so at every offset inside a committed block) and every length. */
    @Test
    void stopTokenAndLengthAtEveryPosition() {
        LlamaModel model = MODELS.get(0);
        long[] prompt = prompt(5, 11, 99);
        long sat = 10;
        long[] free = new AutoregressiveDecoder(model)
                .generate(prompt, GenerationConfig.greedy(40))
                .outputIds();
        for (int k : new int[] {1, 3, 6}) {
            for (int stopAt = 0; stopAt < 16; stopAt++) {
                long eos = free[stopAt];
                GenerationConfig byEos = GenerationConfig.builder()
                        .maxNewTokens(40)
                        .k(k)
                        .stopTokenIds(eos)
                        .build();
                GenerationConfig byLength =
                        GenerationConfig.builder().maxNewTokens(stopAt + 1).k(k).build();
                GenerationResult ar = new AutoregressiveDecoder(model).generate(prompt, byEos);
                int first = 0;
                while (free[first] != eos) {
                    first++;
                }
                assertThat(ar.outputIds()).containsExactly(Arrays.copyOf(free, first + 1));
                assertThat(ar.stopReason()).isEqualTo("eos");
                GenerationResult arLen = new AutoregressiveDecoder(model).generate(prompt, byLength);
                assertThat(arLen.outputIds()).containsExactly(Arrays.copyOf(free, stopAt + 1));
                List<Decoder> decoders = new ArrayList<>(speculative(model, sat, 1, 6));
                decoders.add(Decoders.oracle(model, free));
                decoders.add(Decoders.oracleTwoStep(model, free));
                for (Decoder d : decoders) {
                    GenerationResult r = d.generate(prompt, byEos);
                    assertThat(r.outputIds())
                            .as("%s k=%d eos=%d", d.name(), k, eos)
                            .containsExactly(ar.outputIds());
                    assertThat(r.stopReason()).isEqualTo("eos");
                    GenerationResult rl = d.generate(prompt, byLength);
                    assertThat(rl.outputIds())
                            .as("%s k=%d max=%d", d.name(), k, stopAt + 1)
                            .containsExactly(arLen.outputIds());
                    assertThat(rl.stats().newTokens()).isEqualTo(stopAt + 1);
                }
            }
        }
    }

    @Test
    void statsCountPassesAndDrafts() {
        LlamaModel model = MODELS.get(0);
        long[] prompt = prompt(7, 11, 5);
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(50).k(4).build();
        GenerationResult ar = new AutoregressiveDecoder(model).generate(prompt, c);
        assertThat(ar.stats().forwardPasses()).isEqualTo(50);
        assertThat(ar.stats().tokensPerForward()).isEqualTo(1.0);
        assertThat(ar.fromDraft()).hasSize(50).containsOnly(false);
        GenerationResult two = DraftVerifyDecoder.twoStep(model, 10).generate(prompt, c);
        GenerationStats s = two.stats();
        // the last loop may end after its draft pass (when t1 ends generation), before verification
        assertThat(s.draftedTokens()).isBetween(4L * (s.loops() - 1), 4L * s.loops());
        // the prefill, then 2 passes per loop, except that the last loop may end after its draft pass: a decoder
        // that skipped or double-counted a pass leaves this range
        assertThat(s.forwardPasses())
                .as("passes of %d loops (prefill + draft + verify per loop)", s.loops())
                .isBetween(2 * s.loops(), 1 + 2 * s.loops());
        // each complete loop emits t1, its accepted drafts and the bonus; the prefill emits 1
        assertThat(s.newTokens())
                .as("tokens of %d loops with %d accepted drafts", s.loops(), s.acceptedTokens())
                .isBetween((int) (1 + 2 * (s.loops() - 1) + s.acceptedTokens()), (int)
                        (1 + 2 * s.loops() + s.acceptedTokens()));
        assertThat(s.acceptedPerPosition()[0]).isGreaterThanOrEqualTo(s.acceptedPerPosition()[3]);
        assertThat(Arrays.stream(s.acceptedPerPosition()).sum()).isEqualTo(s.acceptedTokens());
    }

    /**
     * The registry's speculative decoders whose k range holds every k from {@code lowK} to {@code highK} (all but the
     * tree decoder, whose k is a tree depth: SdsatTreeDecoderTest), created on {@code model}.
     */
    private static List<Decoder> speculative(LlamaModel model, long sat, int lowK, int highK) {
        return DecoderRegistry.all().stream()
                .filter(spec -> spec.drafts() != DecoderSpec.Drafts.NONE)
                .filter(spec -> IntStream.rangeClosed(lowK, highK).allMatch(spec.kRange()::accepts))
                .map(spec -> Decoders.create(spec.name(), model, sat))
                .toList();
    }

    /** cacheSlots is the count generate checks against the context: it runs at the limit and refuses one past. */
    @Test
    void cacheSlotsIsWhatGenerateChecks() {
        LlamaModel model = MODELS.get(0);
        int context = model.config().maxPositions();
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(4).k(3).build();
        assertThat(new AutoregressiveDecoder(model).cacheSlots(10, c)).isEqualTo(10 + 4 + 1);
        assertThat(DraftVerifyDecoder.twoStep(model, 10).cacheSlots(10, c)).isEqualTo(10 + 4 + (3 + 2) + 1);
        assertThat(new SdsatSinglePassDecoder(model, 10).cacheSlots(10, c)).isEqualTo(10 + 4 + 16 + 1);
        assertThat(Decoders.create("lookup", model, -1).cacheSlots(10, c)).isEqualTo(10 + 4 + 3 + 1);
        GenerationConfig k5 = GenerationConfig.builder().maxNewTokens(4).k(5).build(); // a depth the tree has
        for (String name : Decoders.names()) {
            Decoder decoder = Decoders.create(name, model, 10);
            decoder.validate(k5);
            int scratch = decoder.cacheSlots(0, k5) - k5.maxNewTokens();
            long[] fits = new long[context - k5.maxNewTokens() - scratch];
            assertThat(decoder.cacheSlots(fits.length, k5)).as(name).isEqualTo(context);
            assertThat(decoder.generate(fits, k5).outputIds()).as(name).isNotEmpty();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> decoder.generate(new long[fits.length + 1], k5))
                    .as(name)
                    .hasMessageContaining("exceeds the model's context of " + context);
        }
    }

    @Test
    void badInputsAreRefusedClearly() {
        LlamaModel model = MODELS.get(0);
        Decoder ar = new AutoregressiveDecoder(model);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ar.generate(new long[0], GenerationConfig.greedy(4)))
                .hasMessageContaining("Empty prompt");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> ar.generate(new long[] {99}, GenerationConfig.greedy(4)))
                .hasMessageContaining("outside the model's vocabulary");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ar.generate(new long[600], GenerationConfig.greedy(4)))
                .hasMessageContaining("exceeds the model's context");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DraftVerifyDecoder.twoStep(model, 10)
                        .generate(
                                new long[] {1}, GenerationConfig.builder().k(16).build()))
                .hasMessageContaining("k from 1 to 15");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> GenerationConfig.builder().topP(0).build())
                .hasMessageContaining("topP");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Decoders.create("fast", model, 10))
                .hasMessageContaining("Unknown decoder 'fast'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Decoders.create("lookup", model, -1)
                        .generate(
                                new long[] {1}, GenerationConfig.builder().k(0).build()))
                .hasMessageContaining("lookup supports k from 1 to 64 (draft tokens per pass), got k = 0");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> GenerationConfig.builder().lookupMaxNgram(0).build())
                .hasMessageContaining("lookupMaxNgram (longest n-gram prompt lookup matches) must be in " + "1..16");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Decoders.oracle(model, new long[] {1, 11}))
                .hasMessageContaining("outside the model's vocabulary");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Decoders.oracleTwoStep(model, new long[] {-1}))
                .hasMessageContaining("Reference token id -1 of decoder oracle-two-step is outside the model's "
                        + "vocabulary [0, 11)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Decoders.oracleTwoStep(model, new long[] {1})
                        .generate(
                                new long[] {1},
                                GenerationConfig.builder().k(2).temperature(1).build()))
                .hasMessageContaining("oracle-two-step is greedy only")
                .hasMessageContaining("a decoder that samples (oracle)");
        for (String name : List.of("sdsat-chain", "sdsat-lookup")) {
            Decoder d = Decoders.create(name, model, 10);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.generate(
                            new long[] {1}, GenerationConfig.builder().k(0).build()))
                    .hasMessageContaining(name + " supports k from 1 to 15")
                    .hasMessageContaining("got k = 0");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.generate(
                            new long[] {1}, GenerationConfig.builder().k(16).build()))
                    .hasMessageContaining("got k = 16");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.generate(
                            new long[] {1},
                            GenerationConfig.builder().k(3).temperature(0.5).build()))
                    .hasMessageContaining(name + " is greedy only, but temperature is 0.5")
                    .hasMessageContaining("a decoder that samples (sdsat, sdsat-tree, lookup");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Decoders.create(name, model, -1))
                    .hasMessageContaining("Decoder " + name + " needs a SAT token");
        }
    }
}
