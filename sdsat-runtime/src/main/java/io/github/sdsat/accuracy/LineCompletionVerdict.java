package io.github.sdsat.accuracy;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.results.LineCompletionGate;
import io.github.sdsat.results.LineCompletionMismatch;
import io.github.sdsat.results.LineCompletionModelSummary;
import io.github.sdsat.results.MeasureDiscrimination;
import io.github.sdsat.results.PairedDifference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The line-completion stage's verdict from the measured lines ({@link LineCompletionStage} measures them): per model
 * scores with bootstrap intervals, the paired differences, which measures discriminate, the decoder check, the
 * exact-match condition's power and the failures. The rules themselves are {@link LineCompletionGate}'s, shared with
 * the run's gates.
 */
final class LineCompletionVerdict {
    private final LineCompletionConfig config;
    private final List<LineCompletionItems.Item> items;

    LineCompletionVerdict(LineCompletionConfig config, List<LineCompletionItems.Item> items) {
        this.config = config;
        this.items = items;
    }

    /** The SDSAT model's scores and the decoder check: no comparison, no power (there is no base to compare with). */
    LineCompletionGate withoutBase(LineCompletionStage.ModelOutcome sdsat) {
        boolean[] sdsatExact = exact(sdsat.ar());
        LineCompletionModelSummary sdsatSummary = summary(sdsat, sdsatExact, editSimilarity(sdsat.ar()));
        List<String> decoders = new ArrayList<>();
        List<LineCompletionMismatch> mismatches = decoderMismatches(sdsat, decoders);
        List<String> failures = new ArrayList<>();
        if (!mismatches.isEmpty()) {
            failures.add(mismatchFailure(mismatches));
        }
        return new LineCompletionGate(
                config.margin(),
                config.bitsPerByteMargin(),
                LineCompletionStage.RULE,
                items.size(),
                List.of(sdsatSummary),
                List.of(),
                List.of(),
                decoders,
                mismatches,
                config.degradation(),
                0.0, // no power without a base: powerResamples 0 says it was not computed
                0,
                failures.isEmpty(),
                failures);
    }

    /** Every item where a greedy decoder's line differs from ar's; adds each decoder's description to {@code out}. */
    private List<LineCompletionMismatch> decoderMismatches(
            LineCompletionStage.ModelOutcome sdsat, List<String> described) {
        List<LineCompletionMismatch> mismatches = new ArrayList<>();
        for (Map.Entry<String, List<String>> entry : sdsat.predictedByDecoder().entrySet()) {
            if (entry.getKey().equals(AutoregressiveDecoder.NAME)) {
                continue;
            }
            described.add(entry.getKey() + " k" + config.k() + " on "
                    + entry.getValue().size() + " items");
            for (int i = 0; i < entry.getValue().size(); i++) {
                if (!entry.getValue().get(i).equals(sdsat.ar().get(i))) {
                    mismatches.add(new LineCompletionMismatch(
                            items.get(i).id(),
                            entry.getKey(),
                            config.k(),
                            entry.getValue().get(i),
                            sdsat.ar().get(i)));
                }
            }
        }
        return mismatches;
    }

    private static String mismatchFailure(List<LineCompletionMismatch> mismatches) {
        List<String> first = mismatches.stream()
                .limit(5)
                .map(m -> m.decoder() + " k" + m.k() + " on " + m.id())
                .toList();
        return "greedy decoders wrote a line different from ar's on the SDSAT model " + mismatches.size() + " times ("
                + String.join(", ", first) + (mismatches.size() > 5 ? ", ..." : "")
                + "): greedy decoders must produce plain decoding's output";
    }

    /** The scores, the paired differences, the decoder check, the power and the verdict. */
    LineCompletionGate of(LineCompletionStage.ModelOutcome sdsat, LineCompletionStage.ModelOutcome base) {
        boolean[] sdsatExact = exact(sdsat.ar());
        boolean[] baseExact = exact(base.ar());
        double[] sdsatEs = editSimilarity(sdsat.ar());
        double[] baseEs = editSimilarity(base.ar());
        LineCompletionModelSummary sdsatSummary = summary(sdsat, sdsatExact, sdsatEs);
        LineCompletionModelSummary baseSummary = summary(base, baseExact, baseEs);
        PairedDifference em = difference("exactMatch", toDoubles(sdsatExact), toDoubles(baseExact), 3);
        PairedDifference es = difference("editSimilarity", sdsatEs, baseEs, 4);
        PairedDifference bpb = bitsPerByteDifference(sdsat, base);
        MeasureDiscrimination emDiscrimination = MeasureDiscrimination.of(
                "lineCompletion.exactMatch", sdsatSummary.exactMatch(), baseSummary.exactMatch());
        MeasureDiscrimination esDiscrimination = MeasureDiscrimination.of(
                "lineCompletion.editSimilarity", sdsatSummary.editSimilarity(), baseSummary.editSimilarity());
        List<String> decoders = new ArrayList<>();
        List<LineCompletionMismatch> mismatches = decoderMismatches(sdsat, decoders);
        List<String> failures = new ArrayList<>();
        if (!emDiscrimination.informative()) {
            failures.add("exact match is " + emDiscrimination.verdict() + " (SDSAT model " + sdsatSummary.exactMatch()
                    + ", base " + baseSummary.exactMatch() + " over " + items.size() + " items): it cannot tell the"
                    + " models apart, so the gate has no verdict; use a stronger model pair or more items");
        }
        if (exactMatchGateFails(sdsatExact, baseExact, config.margin())) {
            failures.add(String.format(
                    Locale.ROOT,
                    "the SDSAT model's exact match %.4f is %.4f below the base model's %.4f (paired 95%% interval of"
                            + " the difference [%.4f, %.4f] over %d items; %d lines right only with base, %d only with"
                            + " the SDSAT model), more than the margin %.4f",
                    em.value(),
                    -em.difference(),
                    em.baselineValue(),
                    em.ciLow(),
                    em.ciHigh(),
                    items.size(),
                    em.worse(),
                    em.better(),
                    config.margin()));
        }
        if (bitsPerByteGateFails(bpb.value(), bpb.baselineValue(), config.bitsPerByteMargin())) {
            failures.add(String.format(
                    Locale.ROOT,
                    "the SDSAT model's held-out loss %.4f bits per byte is %.1f%% above the base model's %.4f (paired"
                            + " 95%% interval of the difference [%+.4f, %+.4f] over %d items), more than the margin"
                            + " %.1f%%",
                    bpb.value(),
                    100 * (bpb.value() / bpb.baselineValue() - 1),
                    bpb.baselineValue(),
                    bpb.ciLow(),
                    bpb.ciHigh(),
                    items.size(),
                    100 * config.bitsPerByteMargin()));
        }
        if (!mismatches.isEmpty()) {
            failures.add(mismatchFailure(mismatches));
        }
        double power = power(
                sdsatExact, baseExact, config.degradation(), config.margin(), config.resamples(), config.seed() + 5);
        return new LineCompletionGate(
                config.margin(),
                config.bitsPerByteMargin(),
                LineCompletionStage.RULE,
                items.size(),
                List.of(sdsatSummary, baseSummary),
                List.of(em, es, bpb),
                List.of(emDiscrimination, esDiscrimination),
                decoders,
                mismatches,
                config.degradation(),
                power,
                config.resamples(),
                failures.isEmpty(),
                failures);
    }

    /** The loss condition of the gate: the SDSAT model's bits per byte more than {@code margin} (relative) above base's. */
    static boolean bitsPerByteGateFails(double sdsatBitsPerByte, double baseBitsPerByte, double margin) {
        return LineCompletionGate.bitsPerByteFails(sdsatBitsPerByte, baseBitsPerByte, margin);
    }

    /** Bits per byte, SDSAT model minus base, paired over the items (both scored the same texts). */
    private PairedDifference bitsPerByteDifference(
            LineCompletionStage.ModelOutcome sdsat, LineCompletionStage.ModelOutcome base) {
        double[] difference = PairedBootstrap.differences(sdsat.bits(), base.bits());
        PairedBootstrap.Interval interval =
                PairedBootstrap.ratio(difference, sdsat.bytes(), config.resamples(), config.seed() + 7);
        double sdsatBits = 0;
        double baseBits = 0;
        double bytes = 0;
        int better = 0;
        int worse = 0;
        for (int i = 0; i < items.size(); i++) {
            sdsatBits += sdsat.bits()[i];
            baseBits += base.bits()[i];
            bytes += sdsat.bytes()[i];
            better += difference[i] < 0 ? 1 : 0;
            worse += difference[i] > 0 ? 1 : 0;
        }
        return new PairedDifference(
                "bitsPerByte",
                LineCompletionStage.SDSAT_MODEL,
                LineCompletionStage.BASE_MODEL,
                items.size(),
                sdsatBits / bytes,
                baseBits / bytes,
                interval.mean(),
                interval.low(),
                interval.high(),
                better,
                worse);
    }

    /** The exact-match condition of the gate: the measured difference (SDSAT - base) below {@code -margin}. */
    static boolean exactMatchGateFails(boolean[] sdsatExact, boolean[] baseExact, double margin) {
        int difference = 0;
        for (int i = 0; i < sdsatExact.length; i++) {
            difference += (sdsatExact[i] ? 1 : 0) - (baseExact[i] ? 1 : 0);
        }
        return LineCompletionGate.exactMatchFails((double) difference / sdsatExact.length, margin);
    }

    /**
     * The probability that the gate's exact-match condition fails when the SDSAT model's true exact match is
     * {@code degradation} below the base model's. Each simulated run (1) makes a population from the measured paired
     * items in which the gap is exactly {@code -degradation}, by turning a random set of the SDSAT model's right lines
     * wrong (or wrong lines right, if its measured gap is already larger), base's lines unchanged; (2) draws as many
     * items with replacement; (3) applies {@link #exactMatchGateFails}. The share of failing runs is the power. When
     * the base model's EM is below {@code degradation}, every right line of the SDSAT model is turned wrong (the largest
     * drop the data allow).
     */
    static double power(
            boolean[] sdsatExact, boolean[] baseExact, double degradation, double margin, int runs, long seed) {
        int n = sdsatExact.length;
        int sdsatRight = 0;
        int baseRight = 0;
        for (int i = 0; i < n; i++) {
            sdsatRight += sdsatExact[i] ? 1 : 0;
            baseRight += baseExact[i] ? 1 : 0;
        }
        // right lines the population's SDSAT model must lose (negative: gain) for a gap of -degradation
        int flips = sdsatRight - (int) Math.round(baseRight - degradation * n);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        boolean[] population = new boolean[n];
        boolean[] sampleSdsat = new boolean[n];
        boolean[] sampleBase = new boolean[n];
        int[] order = new int[n];
        int failing = 0;
        for (int run = 0; run < runs; run++) {
            System.arraycopy(sdsatExact, 0, population, 0, n);
            boolean from = flips > 0;
            int remaining = Math.abs(flips);
            // a random permutation; flip the first eligible items of it
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i = 0; i < n && remaining > 0; i++) {
                if (population[order[i]] == from) {
                    population[order[i]] = !from;
                    remaining--;
                }
            }
            for (int i = 0; i < n; i++) {
                int pick = random.nextInt(n);
                sampleSdsat[i] = population[pick];
                sampleBase[i] = baseExact[pick];
            }
            if (exactMatchGateFails(sampleSdsat, sampleBase, margin)) {
                failing++;
            }
        }
        return (double) failing / runs;
    }

    private LineCompletionModelSummary summary(LineCompletionStage.ModelOutcome outcome, boolean[] exact, double[] es) {
        PairedBootstrap.Interval em = PairedBootstrap.mean(toDoubles(exact), config.resamples(), config.seed() + 1);
        PairedBootstrap.Interval similarity = PairedBootstrap.mean(es, config.resamples(), config.seed() + 2);
        PairedBootstrap.Interval bpb =
                PairedBootstrap.ratio(outcome.bits(), outcome.bytes(), config.resamples(), config.seed() + 6);
        return new LineCompletionModelSummary(
                outcome.label(),
                outcome.modelPath(),
                items.size(),
                em.mean(),
                em.low(),
                em.high(),
                similarity.mean(),
                similarity.low(),
                similarity.high(),
                bpb.mean(),
                bpb.low(),
                bpb.high());
    }

    private PairedDifference difference(String measure, double[] sdsat, double[] base, long seedOffset) {
        PairedBootstrap.Interval interval = PairedBootstrap.mean(
                PairedBootstrap.differences(sdsat, base), config.resamples(), config.seed() + seedOffset);
        int better = 0;
        int worse = 0;
        double sdsatSum = 0;
        double baseSum = 0;
        for (int i = 0; i < sdsat.length; i++) {
            better += sdsat[i] > base[i] ? 1 : 0;
            worse += sdsat[i] < base[i] ? 1 : 0;
            sdsatSum += sdsat[i];
            baseSum += base[i];
        }
        return new PairedDifference(
                measure,
                LineCompletionStage.SDSAT_MODEL,
                LineCompletionStage.BASE_MODEL,
                sdsat.length,
                sdsatSum / sdsat.length,
                baseSum / sdsat.length,
                interval.mean(),
                interval.low(),
                interval.high(),
                better,
                worse);
    }

    private boolean[] exact(List<String> predicted) {
        boolean[] out = new boolean[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = predicted.get(i).equals(items.get(i).target());
        }
        return out;
    }

    private double[] editSimilarity(List<String> predicted) {
        double[] out = new double[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = EditSimilarity.of(predicted.get(i), items.get(i).target());
        }
        return out;
    }

    private static double[] toDoubles(boolean[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] ? 1.0 : 0.0;
        }
        return out;
    }
}
