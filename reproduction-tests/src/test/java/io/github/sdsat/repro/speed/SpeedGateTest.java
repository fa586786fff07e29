package io.github.sdsat.repro.speed;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.report.Charts;
import io.github.sdsat.report.SummaryTable;
import io.github.sdsat.repro.support.Attach;
import io.github.sdsat.repro.support.BaselineCache;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
import io.github.sdsat.repro.support.RunCache;
import io.github.sdsat.repro.support.Thresholds;
import io.github.sdsat.results.Aggregator;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.qameta.allure.Allure;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Speed gates in one JVM. Tokens per forward pass (deterministic counts, tight thresholds) per decoder and k, over
 * the completion prompts of the equivalence matrix (their runs are reused from the equivalence gate when it ran
 * first). Wall-clock speedup (loose): baseline and method interleaved per prompt after a warm-up, ratio of the
 * medians of per-generation times (prefill included). Measured values go to target/thresholds-measured.properties
 * and the report, ready for calibration.
 */
@Epic("SDSAT reproduction")
@Feature("Speed")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpeedGateTest {
    /** Prompts per speed measurement: the first completion prompts of the matrix. */
    private static final int PROMPTS = 8;
    private static final int NEW_TOKENS = 128;
    private static final int REPETITIONS = 2;
    private static final int WARM_UP_PROMPTS = 2;

    private final Map<String, String> measured = new TreeMap<>();
    /** Per-prompt records of every wall-clock configuration, for the combined table and chart. */
    private final List<PromptRecord> allRecords = new ArrayList<>();

    private ReproModel model() {
        return ReproModel.sdsat();
    }

    private List<ReproPrompt> prompts() {
        return Prompts.matrix(model()).stream().filter(p -> p.dataset().equals("humaneval")).limit(PROMPTS).toList();
    }

    Stream<Arguments> tokensPerPassCells() {
        List<Arguments> cells = new ArrayList<>();
        for (String decoder : Matrix.speculativeDecoders()) {
            for (int k : Matrix.ks(decoder)) {
                cells.add(Arguments.of(decoder, k));
            }
        }
        return cells.stream();
    }

    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("tokensPerPassCells")
    @DisplayName("tokens per forward pass")
    void tokensPerForwardPass(String decoderName, int k) {
        ReproModel model = model();
        Decoder decoder = Decoders.create(decoderName, model.model(), model.satId());
        long tokens = 0;
        long passes = 0;
        StringBuilder table = new StringBuilder("prompt\tnew tokens\tforward passes\ttokens per pass\n");
        for (ReproPrompt prompt : prompts()) {
            GenerationResult r = RunCache.greedy(model, decoder, k, prompt, NEW_TOKENS);
            tokens += r.stats().newTokens();
            passes += r.stats().forwardPasses();
            table.append(prompt.id()).append('\t').append(r.stats().newTokens()).append('\t')
                    .append(r.stats().forwardPasses()).append('\t')
                    .append(String.format(Locale.ROOT, "%.3f", r.stats().tokensPerForward())).append('\n');
        }
        double value = (double) tokens / passes;
        String key = "speed.tokensPerForward." + decoderName + ".k" + k;
        measured.put(key, String.format(Locale.ROOT, "%.3f", value));
        table.append("all\t").append(tokens).append('\t').append(passes).append('\t')
                .append(String.format(Locale.ROOT, "%.4f", value)).append('\n');
        Attach.text("tokens per pass, " + decoderName + " k=" + k, table.toString());
        double floor = Thresholds.number(key);
        assertThat(value).as("%s k=%d: tokens per forward pass %.4f over %d prompts (threshold %s = %.3f)",
                decoderName, k, value, prompts().size(), key, floor).isGreaterThanOrEqualTo(floor);
    }

    Stream<Arguments> wallClockConfigs() {
        return Arrays.stream(Thresholds.string("speed.wallclock.configs").split(",")).map(String::trim)
                .filter(s -> Matrix.available(s.substring(0, s.indexOf(':'))))
                .map(s -> Arguments.of(s.substring(0, s.indexOf(':')), Integer.parseInt(s.substring(s.indexOf(':') + 1))));
    }

    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("wallClockConfigs")
    @DisplayName("wall-clock speedup over autoregressive decoding")
    void wallClockSpeedup(String decoderName, int k) {
        ReproModel model = model();
        Decoder baseline = new AutoregressiveDecoder(model.model());
        Decoder method = Decoders.create(decoderName, model.model(), model.satId());
        List<ReproPrompt> prompts = prompts();
        Allure.step("warm-up: " + WARM_UP_PROMPTS + " prompts each, untimed", () -> {
            for (ReproPrompt p : prompts.subList(0, Math.min(WARM_UP_PROMPTS, prompts.size()))) {
                baseline.generate(p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                method.generate(p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
            }
        });
        List<Double> baselineMs = new ArrayList<>();
        List<Double> methodMs = new ArrayList<>();
        List<PromptRecord> records = new ArrayList<>();
        Allure.step("interleaved: baseline and " + decoderName + " k=" + k + " per prompt, " + REPETITIONS
                + " repetitions, alternating which goes first", () -> {
            for (ReproPrompt p : prompts) {
                double[] b = new double[REPETITIONS];
                double[] m = new double[REPETITIONS];
                GenerationResult lastB = null;
                GenerationResult lastM = null;
                for (int rep = 0; rep < REPETITIONS; rep++) {
                    boolean baselineFirst = rep % 2 == 0;
                    if (baselineFirst) {
                        lastB = baseline.generate(p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                    }
                    lastM = method.generate(p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                    if (!baselineFirst) {
                        lastB = baseline.generate(p.ids(), BaselineCache.config(p, NEW_TOKENS, k));
                    }
                    b[rep] = lastB.stats().totalMs();
                    m[rep] = lastM.stats().totalMs();
                    baselineMs.add(b[rep]);
                    methodMs.add(m[rep]);
                }
                records.add(record(p, "ar", 0, lastB, median(b), true));
                records.add(record(p, decoderName, k, lastM, median(m),
                        Arrays.equals(lastM.outputIds(), lastB.outputIds())));
            }
        });
        double speedup = median(baselineMs) / median(methodMs);
        String key = "speed.wallclock.minSpeedup." + decoderName + ".k" + k;
        measured.put(key + ".measured", String.format(Locale.ROOT, "%.3f", speedup));
        addToCombined(records);
        List<RowSummary> rows = Aggregator.summarise(records);
        String table = SummaryTable.format(rows) + String.format(Locale.ROOT,
                "%nratio of medians: baseline %.1f ms / %s k=%d %.1f ms = %.3fx (%d generations each)%n",
                median(baselineMs), decoderName, k, median(methodMs), speedup, baselineMs.size());
        Attach.text("speedup table, " + decoderName + " k=" + k, table);
        for (Charts.ChartImage chart : Charts.render(rows)) {
            if (chart.fileName().endsWith("-speedup.png") || chart.fileName().endsWith("-time.png")) {
                Attach.png(chart.title(), chart.png());
            }
        }
        double floor = Thresholds.number(key);
        assertThat(speedup).as("%s k=%d: wall-clock speedup (ratio of medians) %.3fx over %d prompts (threshold %s = %.2f)",
                decoderName, k, speedup, prompts.size(), key, floor).isGreaterThanOrEqualTo(floor);
    }

    /** Adds a configuration's records; the baseline's only once (the first configuration's), one row per task. */
    private void addToCombined(List<PromptRecord> records) {
        boolean haveBaseline = allRecords.stream().anyMatch(PromptRecord::isBaseline);
        records.stream().filter(r -> !(haveBaseline && r.isBaseline())).forEach(allRecords::add);
    }

    private static PromptRecord record(ReproPrompt p, String decoder, int k, GenerationResult r, double medianMs,
            boolean identical) {
        var s = r.stats();
        return new PromptRecord(p.dataset(), p.taskId(), decoder, k, 0.0, null, p.ids().length, s.newTokens(),
                s.forwardPasses(), s.draftedTokens(), s.acceptedTokens(), s.acceptedPerPosition(), medianMs,
                s.prefillMs(), s.newTokens() / (medianMs / 1000.0), identical, null, s.loops());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
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
                + "thresholds.properties; wall clock: 0.75 x measured.\n");
        measured.forEach((key, value) -> b.append(key).append('=').append(value).append('\n'));
        Attach.text("measured thresholds (for calibration)", b.toString());
        Path target = Path.of(System.getProperty("sdsat.fixtureDirectory", "target/repro-fixtures")).getParent()
                .resolve("thresholds-measured.properties");
        AtomicFiles.writeString(target, b.toString());
    }
}
