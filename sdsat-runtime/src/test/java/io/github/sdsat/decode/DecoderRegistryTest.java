package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry is the one place of decoder facts: the decoders it creates carry its names, refuse exactly the k and
 * sampling configs its entries exclude, need a SAT token exactly when it says so, and run the passes and drafts per
 * loop it states (the count gates of reproduction-tests hold the shipped model to the same facts).
 */
class DecoderRegistryTest {
    private static final int VOCAB = 11;
    private static final long SAT = VOCAB - 1;
    private static final long[] PROMPT = {1, 3, 5, 3, 5, 8, 3, 5};
    private static LlamaModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.model(TinyModels.config(32, 1, 2, 1, VOCAB, false, 10000), 9);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void namesComeFromTheEntriesBaselineFirst() {
        List<String> names = DecoderRegistry.names();
        assertThat(Decoders.names()).isEqualTo(names);
        assertThat(names).first().isEqualTo(AutoregressiveDecoder.NAME);
        assertThat(DecoderRegistry.baseline().name()).isEqualTo(AutoregressiveDecoder.NAME);
        assertThat(names).doesNotHaveDuplicates();
        // the shipped decoders in report order (a new entry may come anywhere after the baseline)
        assertThat(names)
                .containsSubsequence(
                        "ar", "sdsat", "sdsat-single-pass", "sdsat-tree", "lookup", "sdsat-chain", "sdsat-lookup");
        assertThat(names).doesNotContain(DraftVerifyDecoder.ORACLE, SdsatTwoStepDrafter.ORACLE_NAME);
        assertThat(DecoderRegistry.find(DraftVerifyDecoder.ORACLE)).isPresent();
        assertThatThrownBy(() -> DecoderRegistry.spec(DraftVerifyDecoder.ORACLE))
                .hasMessageContaining("Unknown decoder 'oracle': use one of " + names);
        assertThatThrownBy(() -> Decoders.create("fast", model, SAT))
                .hasMessageContaining("Unknown decoder 'fast': use one of " + names);
    }

    @Test
    void eachFactoryCreatesTheDecoderOfItsName() {
        for (DecoderSpec spec : DecoderRegistry.all()) {
            assertThat(Decoders.create(spec.name(), model, SAT).name()).isEqualTo(spec.name());
        }
        assertThat(Decoders.oracle(model, new long[] {1}).name()).isEqualTo(DraftVerifyDecoder.ORACLE);
        assertThat(Decoders.oracleTwoStep(model, new long[] {1}).name()).isEqualTo(SdsatTwoStepDrafter.ORACLE_NAME);
        DecoderSpec oracle = DecoderRegistry.find(DraftVerifyDecoder.ORACLE).orElseThrow();
        assertThatThrownBy(() -> oracle.factory().create(model, SAT))
                .hasMessageContaining("create it with Decoders.oracle(model, referenceOutput)");
    }

    @Test
    void aSatTokenIsNeededExactlyWhereTheEntrySaysSo() {
        for (DecoderSpec spec : DecoderRegistry.all()) {
            if (spec.usesSat()) {
                assertThatThrownBy(() -> Decoders.create(spec.name(), model, -1))
                        .as(spec.name())
                        .hasMessageContaining("Decoder " + spec.name() + " needs a SAT token");
            } else {
                assertThatCode(() -> Decoders.create(spec.name(), model, -1).generate(PROMPT, greedy(spec, 6)))
                        .as(spec.name())
                        .doesNotThrowAnyException();
            }
        }
    }

    @Test
    void kIsCheckedAgainstTheEntrysRange() {
        for (DecoderSpec spec : DecoderRegistry.all()) {
            Decoder decoder = Decoders.create(spec.name(), model, SAT);
            KRange range = spec.kRange();
            if (range.isIgnored()) {
                assertThatCode(() -> decoder.validate(
                                GenerationConfig.builder().k(40).build()))
                        .doesNotThrowAnyException();
                continue;
            }
            for (int k : range.values()) {
                assertThatCode(() ->
                                decoder.validate(GenerationConfig.builder().k(k).build()))
                        .as("%s k=%d", spec.name(), k)
                        .doesNotThrowAnyException();
            }
            int below = range.values().get(0) - 1;
            int above = range.values().get(range.values().size() - 1) + 1;
            for (int k : List.of(below, above)) {
                assertThatThrownBy(() ->
                                decoder.validate(GenerationConfig.builder().k(k).build()))
                        .as("%s k=%d", spec.name(), k)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(spec.name() + " supports k ")
                        .hasMessageContaining(range.meaning())
                        .hasMessageContaining("got k = " + k);
            }
        }
        assertThatThrownBy(() -> Decoders.create(SdsatTreeDecoder.NAME, model, SAT)
                        .validate(GenerationConfig.builder().k(6).build()))
                .hasMessageContaining("sdsat-tree supports k of [5, 7, 9, 11, 13] (the draft-tree depth), got k = 6")
                .hasMessageContaining("set k to one of them");
    }

    @Test
    void greedyOnlyDecodersRefuseSamplingNamingTheOnesThatSample() {
        GenerationConfig.Builder sampled =
                GenerationConfig.builder().maxNewTokens(6).temperature(0.8).seed(3);
        List<String> drafting = RegistryCases.samplers().stream()
                .filter(name -> DecoderRegistry.spec(name).drafts() != DecoderSpec.Drafts.NONE)
                .toList();
        for (DecoderSpec spec : DecoderRegistry.all()) {
            Decoder decoder = Decoders.create(spec.name(), model, SAT);
            GenerationConfig config =
                    sampled.k(RegistryCases.kAtLeast(spec.name(), 3)).build();
            if (spec.samples()) {
                assertThat(decoder.generate(PROMPT, config).outputIds())
                        .as(spec.name())
                        .hasSize(6);
            } else {
                assertThatThrownBy(() -> decoder.generate(PROMPT, config))
                        .as(spec.name())
                        .hasMessageContaining(spec.name() + " is greedy only, but temperature is 0.8")
                        .hasMessageContaining("a decoder that samples (" + String.join(", ", drafting) + ")");
            }
        }
        assertThat(drafting).containsSubsequence("sdsat", "sdsat-tree", "lookup");
        assertThat(RegistryCases.samplers()).first().isEqualTo("ar");
    }

    /** What each entry says about passes and drafts per loop is what its decoder does (greedy, on a tiny model). */
    @Test
    void passesAndDraftsPerLoopAreWhatTheEntrySays() {
        for (DecoderSpec spec : DecoderRegistry.all()) {
            int k = RegistryCases.kAtLeast(spec.name(), 3);
            GenerationStats s = Decoders.create(spec.name(), model, SAT)
                    .generate(PROMPT, greedy(spec, 40))
                    .stats();
            String what = spec.name() + " k=" + k + " (" + s.loops() + " loops, " + s.forwardPasses() + " passes, "
                    + s.draftedTokens() + " drafted)";
            int most = 1 + spec.passesPerLoop() * s.loops();
            assertThat(s.forwardPasses()).as(what).isBetween(most - (spec.passesPerLoop() - 1), most);
            switch (spec.drafts()) {
                case NONE -> assertThat(s.draftedTokens()).as(what).isZero();
                case EXACTLY_K ->
                    assertThat(s.draftedTokens())
                            .as(what)
                            .isBetween((long) k * (s.loops() - 1), (long) k * s.loops())
                            .matches(d -> d % k == 0, "a multiple of k");
                case AT_MOST_K -> assertThat(s.draftedTokens()).as(what).isBetween(0L, (long) k * s.loops());
            }
        }
    }

    @Test
    void reportsAskTheRegistryWhetherADecoderUsesSat() {
        for (DecoderSpec spec : DecoderRegistry.all()) {
            assertThat(DecoderRegistry.usesSat(spec.name())).as(spec.name()).isEqualTo(spec.usesSat());
        }
        // the shipped answers, which the report's old rule (names starting with "sdsat") gave too
        for (String name : List.of("ar", "sdsat", "sdsat-single-pass", "sdsat-tree", "lookup", "sdsat-chain")) {
            assertThat(DecoderRegistry.usesSat(name)).as(name).isEqualTo(name.startsWith("sdsat"));
        }
        assertThat(DecoderRegistry.usesSat("sdsat-lookup")).isTrue();
        assertThat(DecoderRegistry.usesSat(DraftVerifyDecoder.ORACLE)).isFalse();
        assertThat(DecoderRegistry.usesSat(SdsatTwoStepDrafter.ORACLE_NAME)).isFalse();
        assertThat(DecoderRegistry.usesSat("sdsat-from-another-build"))
                .as("a name this build does not have")
                .isFalse();
    }

    @Test
    void factsForResultsJsonInTheGivenOrderEachOnce() {
        List<Map<String, Object>> facts =
                DecoderRegistry.facts(List.of("ar", "sdsat-tree", "unknown", "sdsat-tree", "lookup"));
        assertThat(facts).extracting(f -> f.get("name")).containsExactly("ar", "sdsat-tree", "lookup");
        assertThat(facts.get(1))
                .containsExactly(
                        Map.entry("name", "sdsat-tree"),
                        Map.entry("usesSat", true),
                        Map.entry("samples", true),
                        Map.entry("passesPerLoop", 2),
                        Map.entry("drafts", "exactly-k"),
                        Map.entry("kRange", "5,7,9,11,13"),
                        Map.entry("kMeaning", "the draft-tree depth"));
        assertThat(facts.get(0)).containsEntry("kRange", "ignored").containsEntry("drafts", "none");
        assertThat(facts.get(2)).containsEntry("kRange", "1..64").containsEntry("drafts", "at-most-k");
    }

    @Test
    void aDecoderWithoutAnEntryIsRefusedNamingTheRegistry() {
        Decoder unregistered =
                new DraftVerifyDecoder(model, "copy-left", DraftVerifyDecoder.NO_SAT, config -> new NgramIndex(2));
        assertThatThrownBy(() -> unregistered.generate(
                        PROMPT, GenerationConfig.builder().k(2).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Decoder copy-left has no entry in DecoderRegistry");
    }

    @Test
    void badSpecsAreRefused() {
        DecoderSpec.Factory factory = (m, sat) -> new AutoregressiveDecoder(m);
        assertThatThrownBy(() -> new DecoderSpec(
                        "x", false, true, 1, DecoderSpec.Drafts.NONE, KRange.between(1, 3, "drafts"), factory))
                .hasMessageContaining("a decoder ignores k exactly when it drafts nothing");
        assertThatThrownBy(() -> new DecoderSpec(
                        "x", false, true, 0, DecoderSpec.Drafts.AT_MOST_K, KRange.between(1, 3, "drafts"), factory))
                .hasMessageContaining("passesPerLoop >= 1");
        assertThatThrownBy(() -> KRange.between(0, 3, "drafts")).hasMessageContaining("below 1");
        assertThatThrownBy(() -> new KRange(List.of(3, 2), "drafts")).hasMessageContaining("ascending");
        assertThat(KRange.oneOf(List.of(9, 5, 7), "depth").text()).isEqualTo("5,7,9");
        assertThat(KRange.oneOf(List.of(2, 1, 3), "drafts").text()).isEqualTo("1..3");
    }

    private static GenerationConfig greedy(DecoderSpec spec, int maxNewTokens) {
        return GenerationConfig.builder()
                .maxNewTokens(maxNewTokens)
                .k(RegistryCases.kAtLeast(spec.name(), 3))
                .build();
    }
}
