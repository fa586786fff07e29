package io.github.sdsat.repro.speed;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.report.Charts;
import io.github.sdsat.report.SummaryTable;
import io.github.sdsat.repro.support.Attach;
import io.github.sdsat.repro.support.BaselineCache;
import io.github.sdsat.repro.support.CountGates;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.MeteredRun;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
import io.github.sdsat.repro.support.RunCache;
import io.github.sdsat.repro.support.Thresholds;
import io.github.sdsat.results.Aggregator;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.SpeedupInterval;
import io.qameta.allure.Allure;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Speed gates in one JVM. Deterministic counts per decoder and k over the speed prompts ({@link Prompts#speed}; their
 * runs are reused from the equivalence gate when it ran first), each a gate of its own ({@link CountGates}): tokens
 * per forward pass against its floor, drafted tokens per loop against k, forward passes per loop against the
 * decoder's algorithm, accepted drafts per loop at each draft position against the measured rates. Wall clock as a
 * statistic: baseline and method interleaved per prompt after a warm-up, the one-sided 95% lower confidence bound of
 * the speedup (bootstrap over prompts of the ratio of medians, {@link SpeedupInterval}) against its floor. Measured
 * values go to target/thresholds-measured.properties and the report, ready for calibration.
 */
@Epic("SDSAT reproduction")
@Feature("Speed")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpeedGateTest {
    private static final int NEW_TOKENS = Prompts.SPEED_NEW_TOKENS;
    private static final int REPETITIONS = 2;
    /** Confidence of the speedup's lower bound (one-sided). */
    private static final double CONFIDENCE = 0.95;

    private static final long BOOTSTRAP_SEED = 20261202L;
    private static final int WARM_UP_PROMPTS = 2;

    private final Map<String, String> measured = new TreeMap<>();
    /** Per-prompt records of every wall-clock configuration, for the combined table and chart. */
    private final List<PromptRecord> allRecords = new ArrayList<>();

    private ReproModel model() {
        return ReproModel.sdsat();
    }

    private List<ReproPrompt> prompts() {
        return Prompts.speed(model());
    }

    Stream<Arguments> tokensPerPassCells() {
        List<Arguments> cells = new ArrayList<>();
        for (String decoder : Matrix.speculativeDecoders()) {
            for (int k : Matrix.ks(decoder)) {
                // The full profile's k beyond the CI matrix have no measured floors: those cells are gated by
                // equivalence only (reproduction-tests/README.md).
                if (Thresholds.has("speed.tokensPerForward." + decoder + ".k" + k)) {
                    cells.add(Arguments.of(decoder, k));
                }
            }
        }
        return cells.stream();
    }

    /** The greedy runs of one cell over the speed prompts (shared with the equivalence gate through RunCache). */
    private List<GenerationResult> runs(String decoderName, int k) {
        ReproModel model = model();
        Decoder decoder = Decoders.create(decoderName, model.model(), model.satId());
        return prompts().stream()
                .map(p -> RunCache.greedy(model, decoder, k, p, NEW_TOKENS))
                .toList();
    }

    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("tokensPerPassCells")
    @DisplayName("tokens per forward pass at or above the calibrated floor")
    void tokensPerForwardPass(String decoderName, int k) {
        List<GenerationResult> runs = runs(decoderName, k);
        StringBuilder table = new StringBuilder("prompt\tnew tokens\tforward passes\ttokens per pass\n");
        List<ReproPrompt> prompts = prompts();
        for (int i = 0; i < runs.size(); i++) {
            var s = runs.get(i).stats();
            table.append(prompts.get(i).id())
                    .append('\t')
                    .append(s.newTokens())
                    .append('\t')
                    .append(s.forwardPasses())
                    .append('\t')
                    .append(String.format(Locale.ROOT, "%.3f", s.tokensPerForward()))
                    .append('\n');
        }
        double value = CountGates.tokensPerPass(runs);
        measured.put("speed.tokensPerForward." + decoderName + ".k" + k, String.format(Locale.ROOT, "%.3f", value));
        table.append("all\t\t\t")
                .append(String.format(Locale.ROOT, "%.4f", value))
                .append('\n');
        Attach.text("tokens per pass, " + decoderName + " k=" + k, table.toString());
        CountGates.checkTokensPerPass(decoderName, k, runs);
    }

    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("tokensPerPassCells")
    @DisplayName("drafted tokens per loop equal k (SAT block, tree) or at most k (lookup, chain)")
    void draftedTokensPerLoopMatchK(String decoderName, int k) {
        List<GenerationResult> runs = runs(decoderName, k);
        List<ReproPrompt> prompts = prompts();
        for (int i = 0; i < runs.size(); i++) {
            CountGates.checkDraftsPerLoop(
                    decoderName, k, prompts.get(i).id(), runs.get(i).stats());
        }
    }

    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("tokensPerPassCells")
    @DisplayName("forward passes per loop match the decoder's algorithm")
    void forwardPassesPerLoopMatchTheAlgorithm(String decoderName, int k) {
        ReproModel model = model();
        Decoder decoder = Decoders.create(decoderName, model.model(), model.satId());
        List<ReproPrompt> prompts = prompts();
        for (ReproPrompt p : prompts) {
            MeteredRun run = RunCache.metered(model, decoder, k, p, NEW_TOKENS);
            CountGates.checkPassesPerLoop(decoderName, k, p.id(), run.counted().stats());
            CountGates.checkOwnCounterMatchesModel(decoderName, k, p.id(), run);
        }
    }

    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("tokensPerPassCells")
    @DisplayName("accepted drafts per loop at every draft position at or above the measured rate")
    void acceptedDraftsPerPosition(String decoderName, int k) {
        List<GenerationResult> runs = runs(decoderName, k);
        double[] value = CountGates.acceptedPerLoop(k, runs);
        measured.put("speed.acceptedPerLoop." + decoderName + ".k" + k, CountGates.format(value));
        Attach.text("accepted per loop by draft position, " + decoderName + " k=" + k, CountGates.format(value));
        CountGates.checkAcceptedPerPosition(decoderName, k, runs);
    }

    Stream<Arguments> wallClockConfigs() {
        return Arrays.stream(Thresholds.string("speed.wallclock.configs").split(","))
                .map(String::trim)
                .filter(s -> Matrix.available(s.substring(0, s.indexOf(':'))))
                .map(s -> {
                    String decoder = s.substring(0, s.indexOf(':'));
                    int k = Integer.parseInt(s.substring(s.indexOf(':') + 1));
                    double floor = Thresholds.number(floorKey(decoder, k));
                    // Named for what the floor asserts: a real speedup, or only a guard against a slower decoder.
                    return Arguments.of(
                            decoder,
                            k,
                            floor >= 1.0
                                    ? "faster than autoregressive decoding"
                                    : String.format(
                                            Locale.ROOT,
                                            "regression guard, at least %.2fx of autoregressive speed",
                                            floor));
                });
    }

    /** Per prompt, the baseline's and the decoder's timed generations, and the last result of each. */
    record Timings(
            double[][] baselineMs,
            double[][] methodMs,
            GenerationResult[] lastBaseline,
            GenerationResult[] lastMethod,
            double[][] baselineOwnClockMs,
            double[][] methodOwnClockMs) {}

    /**
     * Times the baseline and the decoder interleaved per prompt after an untimed warm-up, alternating which goes
     * first, {@code repetitions} generations each per prompt; times are read by the harness around each whole
     * {@code generate} call ({@link MeteredRun}), not the decoders' own clocks, so work a decoder leaves out of its
     * clock still counts.
     */
    static Timings timeInterleaved(
            LlamaModel model, Decoder baseline, Decoder method, int k, List<ReproPrompt> prompts, int repetitions) {
        for (ReproPrompt p : prompts.subList(0, Math.min(WARM_UP_PROMPTS, prompts.size()))) {
            MeteredRun.generate(model, baseline, p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
            MeteredRun.generate(model, method, p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
        }
        int n = prompts.size();
        Timings t = new Timings(
                new double[n][repetitions],
                new double[n][repetitions],
                new GenerationResult[n],
                new GenerationResult[n],
                new double[n][repetitions],
                new double[n][repetitions]);
        for (int i = 0; i < n; i++) {
            ReproPrompt p = prompts.get(i);
            for (int rep = 0; rep < repetitions; rep++) {
                boolean baselineFirst = rep % 2 == 0;
                MeteredRun b = null;
                if (baselineFirst) {
                    b = MeteredRun.generate(model, baseline, p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                }
                MeteredRun m = MeteredRun.generate(model, method, p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                if (!baselineFirst) {
                    b = MeteredRun.generate(model, baseline, p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                }
                t.lastBaseline[i] = b.counted();
                t.lastMethod[i] = m.counted();
                t.baselineMs[i][rep] = b.wallMs();
                t.methodMs[i][rep] = m.wallMs();
                t.baselineOwnClockMs[i][rep] = b.result().stats().totalMs();
                t.methodOwnClockMs[i][rep] = m.result().stats().totalMs();
            }
        }
        return t;
    }

    /**
     * The floor's key: {@code speed.wallclock.minSpeedupLowerBound.<decoder>.k<k>.vector<bits>} when this CPU's
     * preferred vector width has its own calibration, else the plain key (calibrated for the narrowest width measured,
     * whose wide passes cost most: the SDSAT rows' ratios are lowest there).
     */
    static String floorKey(String decoderName, int k) {
        String key = "speed.wallclock.minSpeedupLowerBound." + decoderName + ".k" + k;
        String perWidth = key + ".vector" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return Thresholds.has(perWidth) ? perWidth : key;
    }

    /**
     * The wall-clock gate: the one-sided 95% lower bound of the speedup (bootstrap over prompts of the ratio of
     * medians) must reach {@code speed.wallclock.minSpeedupLowerBound.<decoder>.k<k>}.
     */
    static SpeedupInterval checkSpeedupLowerBound(String decoderName, int k, Timings timings) {
        SpeedupInterval interval =
                SpeedupInterval.bootstrap(timings.baselineMs(), timings.methodMs(), CONFIDENCE, BOOTSTRAP_SEED);
        String key = floorKey(decoderName, k);
        double floor = Thresholds.number(key);
        if (interval.lower() < floor) {
            throw new AssertionError(String.format(
                    Locale.ROOT,
                    "%s k=%d: %s is below the floor %s = %.2fx: the "
                            + "decoder is slower against autoregressive decoding than calibrated",
                    decoderName,
                    k,
                    interval.describe(),
                    key,
                    floor));
        }
        return interval;
    }

    @ParameterizedTest(name = "{0} k={1}: {2}")
    @MethodSource("wallClockConfigs")
    @DisplayName("wall-clock speedup: 95% lower confidence bound at or above its floor")
    void wallClockSpeedupLowerBound(String decoderName, int k, String asserts) {
        ReproModel model = model();
        Decoder baseline = new AutoregressiveDecoder(model.model());
        Decoder method = Decoders.create(decoderName, model.model(), model.satId());
        List<ReproPrompt> prompts = prompts();
        Timings timings = Allure.step(
                "interleaved after a " + WARM_UP_PROMPTS + "-prompt warm-up: baseline and "
                        + decoderName + " k=" + k + " per prompt, " + REPETITIONS
                        + " repetitions, alternating which goes "
                        + "first",
                () -> timeInterleaved(model.model(), baseline, method, k, prompts, REPETITIONS));
        List<PromptRecord> records = new ArrayList<>();
        List<Double> baselineMs = new ArrayList<>();
        List<Double> methodMs = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            ReproPrompt p = prompts.get(i);
            Arrays.stream(timings.baselineMs()[i]).forEach(baselineMs::add);
            Arrays.stream(timings.methodMs()[i]).forEach(methodMs::add);
            records.add(
                    record(p, "ar", 0, timings.lastBaseline()[i], Aggregator.median(timings.baselineMs()[i]), true));
            records.add(record(
                    p,
                    decoderName,
                    k,
                    timings.lastMethod()[i],
                    Aggregator.median(timings.methodMs()[i]),
                    Arrays.equals(timings.lastMethod()[i].outputIds(), timings.lastBaseline()[i].outputIds())));
        }
        SpeedupInterval interval =
                SpeedupInterval.bootstrap(timings.baselineMs(), timings.methodMs(), CONFIDENCE, BOOTSTRAP_SEED);
        double speedup = interval.ratioOfMedians();
        String key = "speed.wallclock.minSpeedupLowerBound." + decoderName + ".k" + k;
        SpeedupInterval ownClock = SpeedupInterval.bootstrap(
                timings.baselineOwnClockMs(), timings.methodOwnClockMs(), CONFIDENCE, BOOTSTRAP_SEED);
        measured.put(
                key + ".decodersOwnClock",
                String.format(
                        Locale.ROOT,
                        "%.3f (ratio of medians %.3f; report only: the gate reads the harness's clock)",
                        ownClock.lower(),
                        ownClock.ratioOfMedians()));
        measured.put(
                key + ".measured",
                String.format(
                        Locale.ROOT,
                        "%.3f (ratio of medians %.3f, upper %.3f)",
                        interval.lower(),
                        speedup,
                        interval.upper()));
        addToCombined(records);
        List<RowSummary> rows = Aggregator.summarise(records);
        String table = SummaryTable.format(rows)
                + String.format(
                        Locale.ROOT,
                        "%nratio of medians: baseline %.1f ms / %s k=%d %.1f ms = %.3fx (%d generations each)%n%s%n",
                        Aggregator.median(baselineMs),
                        decoderName,
                        k,
                        Aggregator.median(methodMs),
                        speedup,
                        baselineMs.size(),
                        interval.describe());
        Attach.text("speedup table, " + decoderName + " k=" + k, table);
        for (Charts.ChartImage chart : Charts.render(rows)) {
            if (chart.fileName().endsWith("-speedup.png") || chart.fileName().endsWith("-time.png")) {
                Attach.png(chart.title(), chart.png());
            }
        }
        checkSpeedupLowerBound(decoderName, k, timings);
    }

    /** Adds a configuration's records; the baseline's only once (the first configuration's), one row per task. */
    private void addToCombined(List<PromptRecord> records) {
        boolean haveBaseline = allRecords.stream().anyMatch(PromptRecord::isBaseline);
        records.stream().filter(r -> !(haveBaseline && r.isBaseline())).forEach(allRecords::add);
    }

    private static PromptRecord record(
            ReproPrompt p, String decoder, int k, GenerationResult r, double medianMs, boolean identical) {
        var s = r.stats();
        return new PromptRecord(
                p.dataset(),
                p.taskId(),
                decoder,
                k,
                0.0,
                null,
                p.ids().length,
                s.newTokens(),
                s.forwardPasses(),
                s.draftedTokens(),
                s.acceptedTokens(),
                s.acceptedPerPosition(),
                medianMs,
                s.prefillMs(),
                s.newTokens() / (medianMs / 1000.0),
                identical,
                null,
                s.loops(),
                null, // repetition, pass widths and modelled times: not part of the speed gate
                null,
                null,
                null);
    }

    @AfterAll
    void attachCombinedSpeedupTableAndChart() {
        if (allRecords.isEmpty()) {
            return;
        }
        List<RowSummary> rows = Aggregator.summarise(allRecords);
        Attach.text("speedup table (all wall-clock configurations)", SummaryTable.format(rows));
        for (Charts.ChartImage chart : Charts.render(rows)) {
            Attach.png(chart.title() + " (all configurations)", chart.png());
        }
    }

    @AfterAll
    void writeMeasuredThresholds() {
        if (measured.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder("# Measured by SpeedGateTest on " + model().source() + " ("
                + (Matrix.full() ? "full" : "CI default") + " matrix). Tokens per pass: paste value - 0.02 into "
                + "thresholds.properties; wall clock: the measured lower bound x 0.8 as its floor.\n");
        measured.forEach((key, value) -> b.append(key).append('=').append(value).append('\n'));
        Attach.text("measured thresholds (for calibration)", b.toString());
        Path target = Path.of(System.getProperty("sdsat.fixtureDirectory", "target/repro-fixtures"))
                .getParent()
                .resolve("thresholds-measured.properties");
        AtomicFiles.writeString(target, b.toString());
    }
}
