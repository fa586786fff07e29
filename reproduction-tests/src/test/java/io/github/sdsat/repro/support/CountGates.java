package io.github.sdsat.repro.support;

import io.github.sdsat.decode.DecoderRegistry;
import io.github.sdsat.decode.DecoderSpec;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The deterministic count gates of the speed suite, shared by the gates and by the tests of the gates (which feed
 * them broken decoders): tokens per forward pass against its floor, drafted tokens per loop against k, forward passes
 * per loop against the decoder's algorithm, and accepted drafts per draft position against their floors. Greedy
 * counts are exact, so these gates are tight; each throws an {@link AssertionError} that names the decoder, k, the
 * prompt or the threshold, and what broke.
 *
 * <p>The per-decoder structure (passes per loop, drafts per loop) is each decoder's {@link DecoderRegistry} entry:
 * a statement of its algorithm (docs/DESIGN.md) that the decoder classes do not read, so a decoder which drafts or
 * passes differently from its entry fails, and a decoder added to the registry is gated without a table here.
 */
public final class CountGates {
    /** Absolute margin under each measured accepted-per-loop rate: counts are exact, this absorbs a float tie. */
    public static final double ACCEPTED_MARGIN = 0.02;
    /** Absolute margin under each measured tokens-per-pass value (the same rule). */
    public static final double TOKENS_PER_PASS_MARGIN = 0.02;
    /**
     * How far a count floor may sit below the run's exact value beyond its margin before it counts as looser than its
     * rule (floor = measured - margin): 0.005, a quarter of the margin, for rounding of the recorded values.
     */
    public static final double RULE_SLACK = 0.005;

    /**
     * The one rule of the count floors, checked on every run of the embedded model (whose counts the floors were
     * measured on; exact, so the run's value is the measurement): a floor more than margin + {@link #RULE_SLACK} under
     * the run's value is looser than "measured - margin" and fails, asking for recalibration. Another model (
     * {@code -Dsdsat.model}) is not held to the embedded model's calibration.
     */
    public static void checkFloorFollowsTheRule(String key, double value, double floor, double margin) {
        if (!ReproModel.sdsat().source().startsWith("embedded")) {
            return;
        }
        if (value - floor > margin + RULE_SLACK) {
            throw new AssertionError(String.format(
                    Locale.ROOT,
                    "%s = %.4f is %.4f under this run's exact value %.4f: looser than its rule (measured - %.2f); "
                            + "recalibrate it to %.4f (target/thresholds-measured.properties)",
                    key,
                    floor,
                    value - floor,
                    value,
                    margin,
                    value - margin));
        }
    }

    private CountGates() {}

    /** Total new tokens / total forward passes (prefill counted). */
    public static double tokensPerPass(List<GenerationResult> results) {
        long tokens = results.stream().mapToLong(r -> r.stats().newTokens()).sum();
        long passes = results.stream().mapToLong(r -> r.stats().forwardPasses()).sum();
        return (double) tokens / passes;
    }

    /** Fails when tokens per forward pass over the results is below {@code speed.tokensPerForward.<decoder>.k<k>}. */
    public static double checkTokensPerPass(String decoder, int k, List<GenerationResult> results) {
        double value = tokensPerPass(results);
        String key = "speed.tokensPerForward." + decoder + ".k" + k;
        double floor = Thresholds.number(key);
        if (value < floor) {
            throw new AssertionError(String.format(
                    Locale.ROOT,
                    "%s k=%d: tokens per forward pass %.4f over %d "
                            + "prompts is below the floor %s = %.3f: fewer drafts accepted per pass than the shipped model "
                            + "gives (drafts not accepted, or extra passes)",
                    decoder,
                    k,
                    value,
                    results.size(),
                    key,
                    floor));
        }
        checkFloorFollowsTheRule(key, value, floor, TOKENS_PER_PASS_MARGIN);
        return value;
    }

    /**
     * Fails when a generation's drafted tokens differ from what its loops must draft: exactly k per verification for
     * SAT-block and tree decoders (the last loop may end after its draft pass, before verification), at most k per
     * loop for lookup and chain decoders; and when accepted-per-position has other than k positions.
     */
    public static void checkDraftsPerLoop(String decoder, int k, String promptId, GenerationStats s) {
        String where = String.format(
                Locale.ROOT,
                "%s k=%d on %s (%d loops, %d drafted, %d accepted)",
                decoder,
                k,
                promptId,
                s.loops(),
                s.draftedTokens(),
                s.acceptedTokens());
        if (decoder.equals(SdsatTwoStepDrafter.NAME)) {
            // The two-step loop feeds the last token and k SAT tokens, then the last token and k drafts: every decode
            // pass has k + 1 new tokens. These widths come from the model boundary (MeteredRun), not the decoder.
            long[] widths = s.decodePassesByWidth();
            for (int w = 0; w < widths.length; w++) {
                if (widths[w] != 0 && w != k + 1) {
                    throw new AssertionError(where + ": the model ran " + widths[w] + " decode passes of " + w
                            + " new tokens, but every two-step pass holds k + 1 = " + (k + 1)
                            + ": the decoder does not draft k tokens per loop (drafts capped or skipped)");
                }
            }
        }
        if (s.acceptedPerPosition().length != k) {
            throw new AssertionError(where + ": accepted counts for " + s.acceptedPerPosition().length
                    + " draft positions, expected k = " + k + ": the decoder does not draft k tokens per loop");
        }
        DecoderSpec.Drafts drafts = spec(decoder).drafts();
        if (drafts == DecoderSpec.Drafts.EXACTLY_K) {
            long low = (long) k * Math.max(0, s.loops() - 1);
            long high = (long) k * s.loops();
            if (s.draftedTokens() < low || s.draftedTokens() > high || s.draftedTokens() % k != 0) {
                throw new AssertionError(where + ": drafted tokens must be k x verified loops, between " + low
                        + " and " + high + " in steps of " + k + ": the decoder drafts "
                        + String.format(Locale.ROOT, "%.2f", (double) s.draftedTokens() / Math.max(1, s.loops()))
                        + " per loop instead of k = " + k + " (drafts capped or skipped)");
            }
        } else if (drafts == DecoderSpec.Drafts.AT_MOST_K) {
            if (s.draftedTokens() > (long) k * s.loops()) {
                throw new AssertionError(where + ": more than k = " + k + " drafts per loop");
            }
        } else if (s.draftedTokens() != 0) {
            throw new AssertionError(where + ": drafted tokens, but its registry entry drafts none");
        }
        if (Arrays.stream(s.acceptedPerPosition()).sum() != s.acceptedTokens()) {
            throw new AssertionError(where + ": accepted per position " + Arrays.toString(s.acceptedPerPosition())
                    + " does not sum to the accepted tokens");
        }
        for (int j = 1; j < k; j++) {
            if (s.acceptedPerPosition()[j] > s.acceptedPerPosition()[j - 1]) {
                throw new AssertionError(where + ": draft position " + (j + 1) + " accepted more often than position "
                        + j + " " + Arrays.toString(s.acceptedPerPosition()) + ", but a draft is only accepted "
                        + "after every draft before it");
            }
        }
    }

    /**
     * Fails when a generation's forward passes differ from its decoder's algorithm: the prefill plus
     * its registry entry's passes per loop (a two-pass loop may end after its draft pass); and when a loop emitted
     * more tokens than its passes can decide (per loop at most the passes' own tokens plus the accepted drafts).
     */
    public static void checkPassesPerLoop(String decoder, int k, String promptId, GenerationStats s) {
        int perLoop = spec(decoder).passesPerLoop();
        int high = 1 + perLoop * s.loops();
        int low = high - (perLoop - 1);
        String where = String.format(
                Locale.ROOT,
                "%s k=%d on %s (%d loops, %d new tokens, %d accepted)",
                decoder,
                k,
                promptId,
                s.loops(),
                s.newTokens(),
                s.acceptedTokens());
        if (s.forwardPasses() < low || s.forwardPasses() > high) {
            throw new AssertionError(where + ": " + s.forwardPasses() + " forward passes counted, but the prefill and "
                    + perLoop + " pass(es) per loop make " + (low == high ? String.valueOf(high) : low + " to " + high)
                    + ": passes miscounted");
        }
        long decodePasses = Arrays.stream(s.decodePassesByWidth()).sum();
        if (decodePasses != s.forwardPasses() - 1) {
            throw new AssertionError(where + ": passes by width sum to " + decodePasses + " decode passes, but "
                    + s.forwardPasses() + " passes were counted with the prefill: passes miscounted");
        }
        long mostTokens = 1 + (long) perLoop * s.loops() + s.acceptedTokens();
        if (s.newTokens() > mostTokens) {
            throw new AssertionError(where + ": " + s.newTokens() + " tokens emitted, but the prefill, " + perLoop
                    + " token(s) decided per loop and the accepted drafts make at most " + mostTokens);
        }
    }

    /**
     * Fails when the decoder's own pass counter differs from the passes the model ran during its generation (counted
     * at the model boundary, {@link MeteredRun}): the gates read the model's count, and this names a decoder whose
     * reported statistics hide passes.
     */
    public static void checkOwnCounterMatchesModel(String decoder, int k, String promptId, MeteredRun run) {
        int own = run.result().stats().forwardPasses();
        if (own != run.modelPasses()) {
            throw new AssertionError(String.format(
                    Locale.ROOT,
                    "%s k=%d on %s: the decoder reports %d forward passes, the model ran %d: passes miscounted "
                            + "(the gates count at the model)",
                    decoder,
                    k,
                    promptId,
                    own,
                    run.modelPasses()));
        }
    }

    /** Accepted drafts at each draft position per loop (loop-weighted over the results), index 0 = first draft. */
    public static double[] acceptedPerLoop(int k, List<GenerationResult> results) {
        double[] accepted = new double[k];
        long loops = 0;
        for (GenerationResult r : results) {
            loops += r.stats().loops();
            long[] perPosition = r.stats().acceptedPerPosition();
            for (int j = 0; j < Math.min(k, perPosition.length); j++) {
                accepted[j] += perPosition[j];
            }
        }
        for (int j = 0; j < k; j++) {
            accepted[j] /= Math.max(1, loops);
        }
        return accepted;
    }

    /**
     * Fails when, at any draft position, the accepted drafts per loop fall below the measured rate minus
     * {@link #ACCEPTED_MARGIN} ({@code speed.acceptedPerLoop.<decoder>.k<k>}: k comma-separated measured rates).
     */
    public static double[] checkAcceptedPerPosition(String decoder, int k, List<GenerationResult> results) {
        double[] value = acceptedPerLoop(k, results);
        String key = "speed.acceptedPerLoop." + decoder + ".k" + k;
        double[] measured = Arrays.stream(Thresholds.string(key).split(","))
                .map(String::trim)
                .mapToDouble(Double::parseDouble)
                .toArray();
        if (measured.length != k) {
            throw new IllegalStateException(key + " lists " + measured.length + " positions, expected k = " + k);
        }
        for (int j = 0; j < k; j++) {
            if (value[j] < measured[j] - ACCEPTED_MARGIN) {
                throw new AssertionError(String.format(
                        Locale.ROOT,
                        "%s k=%d: draft position %d accepted %.4f per "
                                + "loop over %d prompts, below the measured %.4f - %.2f (%s); all positions: %s",
                        decoder,
                        k,
                        j + 1,
                        value[j],
                        results.size(),
                        measured[j],
                        ACCEPTED_MARGIN,
                        key,
                        format(value)));
            }
            checkFloorFollowsTheRule(
                    key + " position " + (j + 1), value[j], measured[j] - ACCEPTED_MARGIN, ACCEPTED_MARGIN);
        }
        return value;
    }

    /** The registry entry of a decoder under test; a decoder without one cannot be gated. */
    private static DecoderSpec spec(String decoder) {
        return DecoderRegistry.find(decoder)
                .orElseThrow(() -> new AssertionError(
                        decoder + " has no DecoderRegistry entry, so no pass or drafting rule: add one"));
    }

    public static String format(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.4f", v));
        }
        return b.toString();
    }
}
