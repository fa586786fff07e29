package io.github.sdsat.repro.support;

import io.github.sdsat.decode.DecoderRegistry;
import io.github.sdsat.decode.DecoderSpec;
import io.github.sdsat.decode.Decoders;
import java.util.List;

/**
 * The equivalence matrix: which prompts, draft lengths and token budgets the gates run, derived from the runtime's
 * {@link DecoderRegistry} so that a decoder added there joins every gate. The CI default is sized for the 10-minute
 * budget of this module on a 2-core CPU; {@code -Dsdsat.full=true} runs the whole matrix of issue 6.
 *
 * <p>CI default: 20 HumanEval completion prompts + 10 infilling tasks (evenly spread over the 164 problems), 128 new
 * tokens, and per decoder the odd k up to 9 its k range accepts: k in {1, 3, 5, 7, 9} for the two-step decoder, the
 * tree decoder's valid depths {5, 7, 9}. Decoders of one pass per loop ({@code sdsat-single-pass}, {@code lookup},
 * {@code sdsat-chain}, {@code sdsat-lookup}) stop at k = 5: their pass widens with k ((k+1)^2 tokens for single-pass,
 * 64 at k = 7 and 100 at k = 9, which makes k = 7 and 9 cost as much as the rest of the matrix together on this CPU;
 * measured: see the module README; at most 2k+1 for the chains, k+1 for lookup), and beyond k = 5 they exercise
 * nothing new on this model (lookup's drafts do not depend on a draft pass; the chains accept no more past k = 3 and
 * their mask is plain causal at every k). The single-pass mask and block bookkeeping are exercised at every k in 1..13
 * by the full run and by the runtime's own equivalence tests.
 */
public final class Matrix {
    public static final String FULL_PROPERTY = "sdsat.full";
    /** Largest k of the CI matrix. */
    private static final int CI_MAX_K = 9;
    /** Largest k of the CI matrix for decoders of one pass per loop (class comment). */
    private static final int CI_MAX_K_ONE_PASS = 5;
    /** Largest k of the full matrix (the paper sweeps 1..13). */
    private static final int FULL_MAX_K = 13;

    private Matrix() {}

    public static boolean full() {
        return Boolean.parseBoolean(System.getProperty(FULL_PROPERTY, "false").trim());
    }

    /** Completion prompts of the matrix; {@code -Dsdsat.completionPrompts=N} overrides (quicker local runs). */
    public static int completionPrompts() {
        return count("sdsat.completionPrompts", full() ? 164 : 20);
    }

    /** Infilling prompts of the matrix; {@code -Dsdsat.infillingPrompts=N} overrides. */
    public static int infillingPrompts() {
        return count("sdsat.infillingPrompts", full() ? 164 : 10);
    }

    private static int count(String property, int defaultValue) {
        String value = System.getProperty(property, "").trim();
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 0 || n > 164) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + property + "=" + value + " must be a number of prompts from 0 " + "to 164");
        }
    }

    public static int maxNewTokens() {
        return full() ? 512 : 128;
    }

    /** Draft lengths of the matrix for a decoder (CI default or full profile); empty when not in this build. */
    public static List<Integer> ks(String decoder) {
        return full() ? fullKs(decoder) : ciKs(decoder);
    }

    /** The CI default's draft lengths for a decoder (class comment); empty when the decoder is not in this build. */
    public static List<Integer> ciKs(String decoder) {
        return DecoderRegistry.find(decoder)
                .map(spec -> {
                    int most = spec.passesPerLoop() == 1 ? CI_MAX_K_ONE_PASS : CI_MAX_K;
                    return spec.kRange().values().stream()
                            .filter(k -> k % 2 == 1 && k <= most)
                            .toList();
                })
                .orElse(List.of());
    }

    /** The full profile's draft lengths: every k up to 13 the decoder accepts. */
    public static List<Integer> fullKs(String decoder) {
        return DecoderRegistry.find(decoder)
                .map(spec -> spec.kRange().values().stream()
                        .filter(k -> k <= FULL_MAX_K)
                        .toList())
                .orElse(List.of());
    }

    /** The speculative decoders under test (every registry entry but the baseline), in report order. */
    public static List<String> speculativeDecoders() {
        return DecoderRegistry.all().stream()
                .filter(spec -> spec.drafts() != DecoderSpec.Drafts.NONE)
                .map(DecoderSpec::name)
                .toList();
    }

    public static boolean available(String decoder) {
        return Decoders.names().contains(decoder);
    }

    /** Largest scratch the matrix needs beyond prompt and output (single-pass at the largest k: (k+1)^2 + slack). */
    public static int contextReserve() {
        int kMax = full() ? FULL_MAX_K : CI_MAX_K;
        return (kMax + 1) * (kMax + 1) + kMax + 8;
    }
}
