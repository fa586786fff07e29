package io.github.sdsat.gate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code sdsat:reproduce} gates on, besides the report (docs/DESIGN.md §7): the lossless gate (on by default,
 * it is exact), floors (opt-in: they need a number from the user), a pinned baseline run (opt-in) and the accuracy
 * stages' gates (on whenever a stage runs).
 *
 * @param failOnMismatch whether a greedy row whose output differs from the baseline (a real mismatch, not a
 *     numerical tie) fails the build; false only reports it ({@code sdsat.failOnMismatch})
 * @param tieMargin logit margin below which a greedy difference is a numerical tie ({@code sdsat.gate.tieMargin})
 * @param minSpeedup per greedy row {@code decoder:k}, the floor of the one-sided 95% bootstrap lower bound of the
 *     speedup ({@code sdsat.gate.minSpeedup}); applies to the row of every dataset
 * @param minTokensPerForward per greedy row {@code decoder:k}, the floor of tokens per forward pass
 *     ({@code sdsat.gate.minTokensPerForward}), a deterministic count
 * @param baseline a pinned {@code results.json} of the same model and configuration to compare with, or null
 *     ({@code sdsat.gate.baseline})
 * @param countTolerance the largest relative fall of a deterministic count (tokens per forward, accepted drafts per
 *     loop) below the baseline's that passes ({@code sdsat.gate.countTolerance})
 * @param speedupTolerance the relative fall of the speedup below the baseline's that the paired test asks to be
 *     significant before failing ({@code sdsat.gate.speedupTolerance})
 * @param alpha the paired test's significance level ({@code sdsat.gate.alpha})
 */
public record GateSettings(
        boolean failOnMismatch,
        double tieMargin,
        Map<RowKey, Double> minSpeedup,
        Map<RowKey, Double> minTokensPerForward,
        Path baseline,
        double countTolerance,
        double speedupTolerance,
        double alpha) {

    /**
     * Two logits closer than this are a numerical tie: batched and one-row passes sum in different orders, and float32
     * rounding of a logit of this model's size is well below it (the margin of {@code reproduction-tests}).
     */
    public static final double DEFAULT_TIE_MARGIN = 1e-4;

    public static final double DEFAULT_COUNT_TOLERANCE = 0.01;
    public static final double DEFAULT_SPEEDUP_TOLERANCE = 0.10;
    public static final double DEFAULT_ALPHA = 0.05;

    /** A greedy row by decoder and k, as floors name it ({@code sdsat:3}). */
    public record RowKey(String decoder, int k) {
        @Override
        public String toString() {
            return decoder + ":" + k;
        }
    }

    public GateSettings {
        minSpeedup = minSpeedup == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(minSpeedup));
        minTokensPerForward = minTokensPerForward == null
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(minTokensPerForward));
    }

    /** The default: the lossless gate only. */
    public static GateSettings defaults() {
        return new GateSettings(
                true,
                DEFAULT_TIE_MARGIN,
                Map.of(),
                Map.of(),
                null,
                DEFAULT_COUNT_TOLERANCE,
                DEFAULT_SPEEDUP_TOLERANCE,
                DEFAULT_ALPHA);
    }

    /**
     * Parses a floor list, {@code decoder:k=value} comma-separated (e.g. {@code sdsat:3=1.5,lookup:3=1.2}).
     *
     * @throws IllegalArgumentException naming the property, the bad entry and the expected form
     */
    public static Map<RowKey, Double> parseFloors(String property, String text) {
        Map<RowKey, Double> floors = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return floors;
        }
        List<String> problems = new ArrayList<>();
        for (String raw : text.split(",")) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.indexOf(':');
            int equals = entry.indexOf('=');
            if (colon <= 0 || equals < colon + 2 || equals == entry.length() - 1) {
                problems.add("'" + entry + "' is not of the form decoder:k=value");
                continue;
            }
            String decoder = entry.substring(0, colon).strip();
            String k = entry.substring(colon + 1, equals).strip();
            String value = entry.substring(equals + 1).strip();
            int kValue;
            double floor;
            try {
                kValue = Integer.parseInt(k);
                floor = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                problems.add("'" + entry + "': k must be an integer and the value a number");
                continue;
            }
            if (kValue < 1 || !(floor > 0) || Double.isInfinite(floor)) {
                problems.add("'" + entry + "': k must be >= 1 and the value a positive number");
                continue;
            }
            if (floors.put(new RowKey(decoder, kValue), floor) != null) {
                problems.add("'" + entry + "' names " + decoder + ":" + kValue + " a second time");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(property + ": " + String.join("; ", problems) + " (write e.g. "
                    + property + "=sdsat:3=1.5,lookup:3=1.2)");
        }
        return floors;
    }

    /**
     * Checks these settings against the run's greedy rows before any work: every floor must name a greedy row the run
     * measures, tolerances must be fractions, the baseline file must exist.
     *
     * @param decoders the run's greedy decoders
     * @param kList the run's greedy k values
     * @return the problems, each naming its property and the fix (empty when none)
     */
    public List<String> problems(List<String> decoders, List<Integer> kList) {
        List<String> problems = new ArrayList<>();
        floorProblems("sdsat.gate.minSpeedup", minSpeedup, decoders, kList, problems);
        floorProblems("sdsat.gate.minTokensPerForward", minTokensPerForward, decoders, kList, problems);
        if (!(tieMargin >= 0) || Double.isInfinite(tieMargin)) {
            problems.add("sdsat.gate.tieMargin must be a number >= 0, got " + tieMargin);
        }
        fraction("sdsat.gate.countTolerance", countTolerance, problems);
        fraction("sdsat.gate.speedupTolerance", speedupTolerance, problems);
        if (!(alpha > 0 && alpha < 0.5)) {
            problems.add("sdsat.gate.alpha must be in (0, 0.5), e.g. 0.05, got " + alpha);
        }
        if (baseline != null && !Files.isRegularFile(BaselineComparison.resultsFile(baseline))) {
            problems.add("sdsat.gate.baseline " + baseline + " is neither a results.json nor a run folder holding one:"
                    + " give the results.json of a pinned run of the same model and configuration"
                    + " (reports/<runId>/results.json)");
        }
        return problems;
    }

    private static void floorProblems(
            String property,
            Map<RowKey, Double> floors,
            List<String> decoders,
            List<Integer> kList,
            List<String> problems) {
        for (RowKey key : floors.keySet()) {
            if (!decoders.contains(key.decoder()) || !kList.contains(key.k())) {
                problems.add(property + " names " + key + ", but the run has no greedy row " + key.decoder() + " k="
                        + key.k() + " (sdsat.decoders=" + String.join(",", decoders) + ", sdsat.kList="
                        + kList.stream()
                                .map(String::valueOf)
                                .reduce((a, b) -> a + "," + b)
                                .orElse("") + ")");
            }
        }
    }

    private static void fraction(String property, double value, List<String> problems) {
        if (!(value >= 0 && value < 1)) {
            problems.add(String.format(Locale.ROOT, "%s must be in [0, 1), e.g. 0.05, got %s", property, value));
        }
    }

    /** The settings as written to results.json's config ({@code gates}). */
    public Map<String, Object> describe() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("failOnMismatch", failOnMismatch);
        map.put("tieMargin", tieMargin);
        map.put("minSpeedup", text(minSpeedup));
        map.put("minTokensPerForward", text(minTokensPerForward));
        map.put("baseline", baseline == null ? null : baseline.toString());
        map.put("countTolerance", countTolerance);
        map.put("speedupTolerance", speedupTolerance);
        map.put("alpha", alpha);
        return map;
    }

    private static String text(Map<RowKey, Double> floors) {
        List<String> parts = new ArrayList<>();
        floors.forEach((key, value) -> parts.add(key + "=" + value));
        return String.join(",", parts);
    }
}
