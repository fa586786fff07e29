package io.github.sdsat.accuracy;

import io.github.sdsat.Records;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The parameters of the line-completion stage: held-out lines completed greedily by the SDSAT and the base model
 * ({@link LineCompletionStage}).
 *
 * @param itemFraction leading share of the bundled items to run, in (0, 1]
 * @param maxNewTokens new tokens per line at most (generation also stops at the first token holding a newline)
 * @param margin the largest drop of the SDSAT model's exact match below the base model's that the gate accepts
 * @param bitsPerByteMargin the largest relative increase of the SDSAT model's held-out bits per byte over the base
 *     model's that the gate accepts (0.03: 3% more)
 * @param degradation the true exact-match drop the gate's power is reported against
 * @param seed seed of the bootstrap intervals and of the power simulation
 * @param decoders greedy SDSAT decoders that must write exactly {@code ar}'s line on the SDSAT model
 * @param k SAT tokens per draft of those decoders
 * @param decoderItemFraction leading share of the run's items those decoders complete, in (0, 1]: one differing line
 *     fails the gate, so the check needs no statistics, and a share keeps the stage's time in budget
 * @param resamples bootstrap resamples of each interval, and simulated runs of the power
 */
public record LineCompletionConfig(
        double itemFraction,
        int maxNewTokens,
        double margin,
        double bitsPerByteMargin,
        double degradation,
        long seed,
        List<String> decoders,
        int k,
        double decoderItemFraction,
        int resamples) {

    public static final double DEFAULT_ITEM_FRACTION = 1.0;
    /** Longer than the longest target line (120 characters) takes in the embedded tokenizer, with room to spare. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 48;
    /** Chosen from the measured pair and its paired noise: see {@link LineCompletionStage}. */
    public static final double DEFAULT_MARGIN = 0.02;

    /** Chosen from the measured pair: see {@link LineCompletionStage}. */
    public static final double DEFAULT_BITS_PER_BYTE_MARGIN = 0.03;

    public static final double DEFAULT_DEGRADATION = 0.04;
    public static final long DEFAULT_SEED = 25;
    public static final int DEFAULT_K = 5;
    public static final int DEFAULT_RESAMPLES = 2000;
    /**
     * A third of the items: 120 of 360 lines per decoder. All six greedy decoders on all 360 items took 4.9 minutes
     * on 2 busy cores (measured; plain decoding of both models 20 s each), over the stage's budget of about 3.
     */
    public static final double DEFAULT_DECODER_ITEM_FRACTION = 1.0 / 3;

    public LineCompletionConfig {
        decoders = decoders == null ? List.of() : List.copyOf(decoders);
    }

    /** The defaults: every bundled item, every greedy SDSAT decoder of this build at k = 5. */
    public static LineCompletionConfig defaults() {
        return new LineCompletionConfig(
                DEFAULT_ITEM_FRACTION,
                DEFAULT_MAX_NEW_TOKENS,
                DEFAULT_MARGIN,
                DEFAULT_BITS_PER_BYTE_MARGIN,
                DEFAULT_DEGRADATION,
                DEFAULT_SEED,
                Decoders.names().stream()
                        .filter(name -> !name.equals(AutoregressiveDecoder.NAME))
                        .toList(),
                DEFAULT_K,
                DEFAULT_DECODER_ITEM_FRACTION,
                DEFAULT_RESAMPLES);
    }

    /**
     * The defaults with the parameters {@code sdsat:reproduce} exposes ({@code sdsat.lineCompletion*}) and the run's
     * seed, offset by {@link #DEFAULT_SEED} so that the default run seed 0 gives the stage's default seed.
     */
    public static LineCompletionConfig forRun(
            double itemFraction, double margin, double bitsPerByteMargin, double decoderItemFraction, long runSeed) {
        return Records.copyWith(
                defaults(),
                "itemFraction",
                itemFraction,
                "margin",
                margin,
                "bitsPerByteMargin",
                bitsPerByteMargin,
                "decoderItemFraction",
                decoderItemFraction,
                "seed",
                runSeed + DEFAULT_SEED);
    }

    /** These parameters with another item share (tests run a leading part). */
    public LineCompletionConfig withItemFraction(double fraction) {
        return Records.copyWith(this, "itemFraction", fraction);
    }

    /** These parameters with the greedy decoders on another share of the items. */
    public LineCompletionConfig withDecoderItemFraction(double fraction) {
        return Records.copyWith(this, "decoderItemFraction", fraction);
    }

    /** These parameters with other greedy decoders. */
    public LineCompletionConfig withDecoders(List<String> names, int draftK) {
        return Records.copyWith(this, "decoders", names, "k", draftK);
    }

    /** The parameters by name, for {@code results.json}'s config. */
    public Map<String, Object> describe() {
        return Records.components(this);
    }

    /** Every problem with the parameter's name and the fix; empty when the configuration is valid. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!(itemFraction > 0.0 && itemFraction <= 1.0)) {
            problems.add("line-completion itemFraction " + itemFraction + " is outside (0, 1]: give the share of the"
                    + " bundled items to run, e.g. 1");
        }
        if (maxNewTokens < 1) {
            problems.add("line-completion maxNewTokens " + maxNewTokens + " must be at least 1, e.g. "
                    + DEFAULT_MAX_NEW_TOKENS);
        }
        if (!(margin >= 0.0 && margin < 1.0)) {
            problems.add("line-completion margin " + margin + " is outside [0, 1): give the largest acceptable drop"
                    + " of exact match, e.g. " + DEFAULT_MARGIN);
        }
        if (!(bitsPerByteMargin >= 0.0 && bitsPerByteMargin < 10.0)) {
            problems.add("line-completion bitsPerByteMargin " + bitsPerByteMargin + " is outside [0, 10): give the"
                    + " largest acceptable relative increase of held-out bits per byte, e.g. "
                    + DEFAULT_BITS_PER_BYTE_MARGIN);
        }
        if (!(degradation > 0.0 && degradation < 1.0)) {
            problems.add("line-completion degradation " + degradation + " is outside (0, 1): give the exact-match"
                    + " drop the gate's power is reported against, e.g. " + DEFAULT_DEGRADATION);
        }
        if (!(decoderItemFraction > 0.0 && decoderItemFraction <= 1.0)) {
            problems.add("line-completion decoderItemFraction " + decoderItemFraction + " is outside (0, 1]: give"
                    + " the share of the items the greedy decoders complete, e.g. 0.33");
        }
        if (resamples < 100) {
            problems.add("line-completion resamples " + resamples + " is below 100: give e.g. " + DEFAULT_RESAMPLES);
        }
        for (String decoder : decoders) {
            if (decoder.equals(AutoregressiveDecoder.NAME)) {
                problems.add("line-completion decoders list " + decoder + ", which always runs: leave it out");
            } else if (!Decoders.names().contains(decoder)) {
                problems.add("line-completion decoder '" + decoder + "' is unknown: use some of " + Decoders.names());
            }
        }
        if (!decoders.isEmpty() && k < 1) {
            problems.add("line-completion k " + k + " must be at least 1 for the decoders " + decoders + ", e.g. 5");
        }
        return problems;
    }
}
