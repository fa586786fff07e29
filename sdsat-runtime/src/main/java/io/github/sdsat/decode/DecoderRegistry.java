package io.github.sdsat.decode;

import static io.github.sdsat.decode.DecoderSpec.Drafts.AT_MOST_K;
import static io.github.sdsat.decode.DecoderSpec.Drafts.EXACTLY_K;
import static io.github.sdsat.decode.DecoderSpec.Drafts.NONE;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The one place decoder facts live (docs/DESIGN.md §4): per decoder its name, whether it uses the SAT token, whether
 * it samples, its passes per loop, its drafts per loop, its k range and its factory. {@link Decoders} creates decoders
 * and lists their names from it, every decoder's k and sampling checks run here ({@link #validate}), the report asks
 * it which rows use SAT, results.json's {@code config.decoderSpecs} holds the facts of a run's decoders, and the test
 * matrices and count gates of reproduction-tests derive from it.
 *
 * <p>Adding a decoder: write its class (or a {@link Drafter} for {@link DraftVerifyDecoder}) and add one entry to
 * {@code DECODERS}.
 */
public final class DecoderRegistry {
    private DecoderRegistry() {}

    // Names of the boolean facts, so that an entry reads as a sentence.
    private static final boolean USES_SAT = true;
    private static final boolean NO_SAT = false;
    private static final boolean SAMPLES = true;
    private static final boolean GREEDY_ONLY = false;

    /** The paper sweeps k up to 13; 15 leaves room above it. A two-step or chain pass holds up to 2k + 1 tokens. */
    private static final KRange SAT_TOKENS = KRange.between(1, 15, "SAT tokens per draft pass");

    private static final KRange SAT_BLOCK = KRange.between(1, 15, "SAT tokens per block, (k+1)^2 tokens per pass");
    private static final KRange CHAIN = KRange.between(1, 15, "drafts and SAT tokens per pass");
    /** The verify pass grows with k, and copies longer than 64 tokens are rarely accepted whole. */
    private static final KRange DRAFT_TOKENS = KRange.between(1, 64, "draft tokens per pass");

    private static final KRange TREE_DEPTHS = KRange.oneOf(DraftTree.supportedDepths(), "the draft-tree depth");

    /** The decoders of {@code sdsat.decoder}, baseline first, in report order. */
    private static final List<DecoderSpec> DECODERS = List.of(
            new DecoderSpec(
                    AutoregressiveDecoder.NAME,
                    NO_SAT,
                    SAMPLES,
                    1,
                    NONE,
                    KRange.ignored(),
                    (model, sat) -> new AutoregressiveDecoder(model)),
            new DecoderSpec(
                    SdsatTwoStepDrafter.NAME, USES_SAT, SAMPLES, 2, EXACTLY_K, SAT_TOKENS, DraftVerifyDecoder::twoStep),
            new DecoderSpec(
                    SdsatSinglePassDecoder.NAME,
                    USES_SAT,
                    GREEDY_ONLY,
                    1,
                    EXACTLY_K,
                    SAT_BLOCK,
                    SdsatSinglePassDecoder::new),
            new DecoderSpec(SdsatTreeDecoder.NAME, USES_SAT, SAMPLES, 2, EXACTLY_K, TREE_DEPTHS, SdsatTreeDecoder::new),
            new DecoderSpec(
                    DraftVerifyDecoder.LOOKUP,
                    NO_SAT,
                    SAMPLES,
                    1,
                    AT_MOST_K,
                    DRAFT_TOKENS,
                    (model, sat) -> DraftVerifyDecoder.lookup(model)),
            new DecoderSpec(
                    SdsatChainDrafter.NAME, USES_SAT, GREEDY_ONLY, 1, AT_MOST_K, CHAIN, DraftVerifyDecoder::chain),
            new DecoderSpec(
                    SdsatChainDrafter.LOOKUP_NAME,
                    USES_SAT,
                    GREEDY_ONLY,
                    1,
                    AT_MOST_K,
                    CHAIN,
                    DraftVerifyDecoder::chainWithLookup));

    /**
     * Benchmark-only decoders ({@link Decoders#oracle}, {@link Decoders#oracleTwoStep}): not among {@link #names()},
     * created with a reference output, so their factories refuse.
     */
    private static final List<DecoderSpec> BENCHMARK_ONLY = List.of(
            new DecoderSpec(
                    DraftVerifyDecoder.ORACLE,
                    NO_SAT,
                    SAMPLES,
                    1,
                    AT_MOST_K,
                    DRAFT_TOKENS,
                    needsReference(DraftVerifyDecoder.ORACLE, "Decoders.oracle")),
            new DecoderSpec(
                    SdsatTwoStepDrafter.ORACLE_NAME,
                    NO_SAT,
                    GREEDY_ONLY,
                    2,
                    EXACTLY_K,
                    SAT_TOKENS,
                    needsReference(SdsatTwoStepDrafter.ORACLE_NAME, "Decoders.oracleTwoStep")));

    /** The decoders of {@code sdsat.decoder}, baseline first. */
    public static List<DecoderSpec> all() {
        return DECODERS;
    }

    /** Their names, baseline first. */
    public static List<String> names() {
        return DECODERS.stream().map(DecoderSpec::name).toList();
    }

    /** The spec of a decoder of {@link #names()} or of a benchmark-only decoder. */
    public static Optional<DecoderSpec> find(String name) {
        return Stream.concat(DECODERS.stream(), BENCHMARK_ONLY.stream())
                .filter(spec -> spec.name().equals(name))
                .findFirst();
    }

    /**
     * The spec of a decoder of {@link #names()}.
     *
     * @throws IllegalArgumentException for another name, listing the names
     */
    public static DecoderSpec spec(String name) {
        return DECODERS.stream()
                .filter(spec -> spec.name().equals(name))
                .findFirst()
                .orElseThrow(
                        () -> new IllegalArgumentException("Unknown decoder '" + name + "': use one of " + names()));
    }

    /** The autoregressive baseline's spec. */
    public static DecoderSpec baseline() {
        return DECODERS.get(0);
    }

    /**
     * Whether decoder {@code name} drafts with the SAT token; false for a name this build does not have (a report of
     * results written by another build must still render).
     */
    public static boolean usesSat(String name) {
        return find(name).map(DecoderSpec::usesSat).orElse(false);
    }

    /**
     * The facts of the named decoders, in the given order, each once, as results.json's {@code config.decoderSpecs}
     * holds them; names this build does not have are left out (the run refuses them before it starts).
     */
    public static List<Map<String, Object>> facts(Collection<String> names) {
        List<Map<String, Object>> facts = new ArrayList<>();
        for (String name : new LinkedHashSet<>(names)) {
            find(name).ifPresent(spec -> facts.add(spec.facts()));
        }
        return facts;
    }

    /**
     * Checks that decoder {@code name} serves {@code config}: k within its range, and a sampling config only when it
     * samples. Every decoder runs this before its own checks ({@link Decoder#validate}).
     *
     * @throws IllegalArgumentException naming the unsupported value and what is supported
     * @throws IllegalStateException when {@code name} has no entry here
     */
    static void validate(String name, GenerationConfig config) {
        DecoderSpec spec = find(name)
                .orElseThrow(() -> new IllegalStateException(
                        "Decoder " + name + " has no entry in DecoderRegistry: add one with its facts"));
        spec.kRange().check(name, config.k());
        if (!spec.samples() && !config.isGreedy()) {
            List<String> samplers = (DECODERS.contains(spec) ? DECODERS : BENCHMARK_ONLY)
                    .stream()
                            .filter(s -> s.samples() && s.drafts() != NONE)
                            .map(DecoderSpec::name)
                            .toList();
            throw new IllegalArgumentException(name + " is greedy only, but temperature is " + config.temperature()
                    + ": use temperature 0, or a decoder that samples (" + String.join(", ", samplers)
                    + ") with sampling paper|lossless");
        }
    }

    private static DecoderSpec.Factory needsReference(String name, String factory) {
        return (model, sat) -> {
            throw new IllegalArgumentException("Decoder " + name + " is benchmark-only and drafts from a reference "
                    + "output: create it with " + factory + "(model, referenceOutput)");
        };
    }
}
