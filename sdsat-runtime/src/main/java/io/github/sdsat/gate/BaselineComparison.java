package io.github.sdsat.gate;

import io.github.sdsat.SdsatException;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GateResult.Status;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.SpeedupInterval;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The regression gate against a pinned run ({@code -Dsdsat.gate.baseline=path/to/results.json}): every row present in
 * both runs is compared.
 *
 * <ul>
 *   <li>Deterministic counts (tokens per forward, accepted drafts per loop) must not fall by more than
 *       {@link GateSettings#countTolerance()} (relative): on the same model and configuration they are the same
 *       numbers run after run, so a fall is a change of the decoder or the model.
 *   <li>The speedup must not fall significantly: per prompt present in both runs, d = ln(speedup now / speedup then),
 *       with speedup = the baseline decoder's time / the row's time on that prompt in its own run; the gate fails
 *       when the one-sided {@code 1 - alpha} upper bound of the mean of d (percentile bootstrap over prompts) lies
 *       below ln(1 - {@link GateSettings#speedupTolerance()}), i.e. the speedup is significantly more than that
 *       tolerance below the pinned one. The tolerance absorbs a slower or busier machine; the test absorbs noise.
 *   <li>A row of the pinned run that this run lacks is reported (not enforced: the user may have narrowed the run).
 * </ul>
 *
 * A pinned run of another model (weights' SHA-256) or another configuration (datasets, fraction, token limits, SAT
 * token, seed, shard) is refused before any work: its counts would not be comparable.
 */
public final class BaselineComparison {
    /** Configuration entries that must agree for rows to be comparable (kList and decoders may differ). */
    static final List<String> MUST_AGREE =
            List.of("datasets", "dataLimit", "maxNewTokens", "infillMaxNewTokens", "satToken", "seed", "shard");

    static final int RESAMPLES = 4000;

    private BaselineComparison() {}

    /** The results.json a baseline parameter names: the file itself, or the one in a run folder. */
    public static Path resultsFile(Path baseline) {
        return Files.isDirectory(baseline) ? baseline.resolve(ResultFiles.RESULTS_JSON) : baseline;
    }

    /** Reads the pinned run. */
    public static RunResults read(Path baseline) {
        Path file = resultsFile(baseline).toAbsolutePath().normalize();
        return ResultFiles.read(file.getParent());
    }

    /**
     * Refuses a pinned run that cannot be compared with this one, naming every difference and the fix.
     *
     * @param config this run's configuration (as written to results.json; entries it lacks are not compared, so the
     *     check can run before the model resolves the SAT token)
     * @param weightsSha256 this run's weights' SHA-256, or null when not known yet
     */
    public static void requireComparable(
            Path baselinePath, RunResults baseline, Map<String, Object> config, String weightsSha256) {
        List<String> differences = new ArrayList<>();
        String pinnedSha = baseline.environment().modelSha();
        if (weightsSha256 != null && pinnedSha != null && !pinnedSha.equals(weightsSha256)) {
            differences.add("the weights differ (SHA-256 " + abbreviate(pinnedSha) + " pinned, "
                    + abbreviate(weightsSha256) + " now): it is a run of another model");
        }
        for (String key : MUST_AGREE) {
            if (!config.containsKey(key) || !baseline.config().containsKey(key)) {
                continue;
            }
            Object now = normalise(config.get(key));
            Object then = normalise(baseline.config().get(key));
            if (!Objects.equals(now, then)) {
                differences.add(key + " is " + then + " there and " + now + " here");
            }
        }
        if (!differences.isEmpty()) {
            throw new SdsatException("sdsat.gate.baseline " + baselinePath + " cannot be compared with this run: "
                    + String.join("; ", differences) + ". Pin a run of this model with this configuration (run"
                    + " sdsat:reproduce once with the same parameters and keep its results.json), or drop"
                    + " sdsat.gate.baseline");
        }
    }

    /** JSON numbers read back as Integer/Double/Long; compare them as doubles, lists element-wise. */
    private static Object normalise(Object value) {
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(BaselineComparison::normalise).toList();
        }
        return value == null ? null : value.toString();
    }

    private static String abbreviate(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) + "…" : sha;
    }

    /** The baseline gates: per common row its counts and its speedup, then each vanished row. */
    static List<GateResult> evaluate(RunResults now, RunResults pinned, GateSettings settings) {
        requireComparable(
                settings.baseline(), pinned, now.config(), now.environment().modelSha());
        List<GateResult> gates = new ArrayList<>();
        Map<String, RowSummary> pinnedRows = new LinkedHashMap<>();
        for (RowSummary row : pinned.rows()) {
            pinnedRows.put(key(row), row);
        }
        for (RowSummary row : now.rows()) {
            RowSummary then = pinnedRows.remove(key(row));
            if (then == null || row.isBaseline()) {
                continue;
            }
            gates.add(counts(row, then, settings.countTolerance()));
            GateResult speed = speedup(row, now, pinned, settings);
            if (speed != null) {
                gates.add(speed);
            }
        }
        for (RowSummary vanished : pinnedRows.values()) {
            gates.add(new GateResult(
                    "baseline",
                    label(vanished) + " vanished",
                    Status.NOT_ENFORCED,
                    "the pinned run has the row " + label(vanished) + " and this run does not (reported, not enforced:"
                            + " add its decoder and k to sdsat.decoders / sdsat.kList to gate it)",
                    Map.of()));
        }
        return gates;
    }

    private static GateResult counts(RowSummary now, RowSummary then, double tolerance) {
        List<String> falls = new ArrayList<>();
        List<String> held = new ArrayList<>();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("tolerance", tolerance);
        compare("tokens per forward", now.tokensPerForward(), then.tokensPerForward(), tolerance, falls, held, figures);
        compare(
                "accepted drafts per loop",
                now.meanAcceptedPerLoop(),
                then.meanAcceptedPerLoop(),
                tolerance,
                falls,
                held,
                figures);
        String name = label(now) + " counts";
        if (falls.isEmpty()) {
            return new GateResult("baseline", name, Status.PASSED, String.join("; ", held), figures);
        }
        return new GateResult(
                "baseline",
                name,
                Status.FAILED,
                String.join("; ", falls) + " (more than " + percent(tolerance) + " below the pinned run)",
                figures);
    }

    private static void compare(
            String what,
            Double now,
            Double then,
            double tolerance,
            List<String> falls,
            List<String> held,
            Map<String, Object> figures) {
        if (now == null || then == null) {
            return;
        }
        figures.put(what + " now", now);
        figures.put(what + " pinned", then);
        String text = String.format(Locale.ROOT, "%s %.4f (pinned %.4f)", what, now, then);
        if (now < then * (1 - tolerance)) {
            falls.add(text);
        } else {
            held.add(text);
        }
    }

    /** The paired test of the speedup over the prompts both runs measured; null when fewer than 2 are shared. */
    private static GateResult speedup(RowSummary row, RunResults now, RunResults pinned, GateSettings settings) {
        Map<String, Double> nowByPrompt = speedupsByPrompt(row, now);
        Map<String, Double> thenByPrompt = speedupsByPrompt(row, pinned);
        List<Double> logRatios = new ArrayList<>();
        for (Map.Entry<String, Double> e : nowByPrompt.entrySet()) {
            Double then = thenByPrompt.get(e.getKey());
            if (then != null && then > 0 && e.getValue() > 0) {
                logRatios.add(Math.log(e.getValue() / then));
            }
        }
        String name = label(row) + " speedup";
        if (logRatios.size() < 2) {
            return new GateResult(
                    "baseline",
                    name,
                    Status.NOT_ENFORCED,
                    "only " + logRatios.size() + " prompt(s) measured in both runs: the paired test needs 2 or more",
                    Map.of("sharedPrompts", logRatios.size()));
        }
        double[] d = logRatios.stream().mapToDouble(Double::doubleValue).toArray();
        double mean = Arrays.stream(d).average().orElse(0);
        double upper = bootstrapUpperBoundOfMean(d, 1 - settings.alpha(), SpeedupInterval.BOOTSTRAP_SEED);
        double floor = Math.log(1 - settings.speedupTolerance());
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("sharedPrompts", d.length);
        figures.put("meanRatio", Math.exp(mean));
        figures.put("upperBoundRatio", Math.exp(upper));
        figures.put("speedupTolerance", settings.speedupTolerance());
        figures.put("alpha", settings.alpha());
        figures.put("speedup now", row.speedup());
        String text = String.format(
                Locale.ROOT,
                "speedup now / pinned per prompt: geometric mean %.3f, one-sided %.0f%% upper bound %.3f over %d"
                        + " prompts (fails below %.3f = 1 - tolerance %s)",
                Math.exp(mean),
                100 * (1 - settings.alpha()),
                Math.exp(upper),
                d.length,
                1 - settings.speedupTolerance(),
                percent(settings.speedupTolerance()));
        return new GateResult("baseline", name, upper < floor ? Status.FAILED : Status.PASSED, text, figures);
    }

    /** Per prompt of the row's dataset: the greedy/sampling baseline's time / the row's time, in that run. */
    static Map<String, Double> speedupsByPrompt(RowSummary row, RunResults run) {
        Map<String, Double> baselineMs = new LinkedHashMap<>();
        Map<String, Double> methodMs = new LinkedHashMap<>();
        for (PromptRecord r : run.prompts()) {
            if (!r.dataset().equals(row.dataset()) || r.temperature() != row.temperature()) {
                continue;
            }
            if (r.isBaseline()) {
                baselineMs.put(r.taskId(), r.timeMs());
            } else if (r.decoder().equals(row.decoder())
                    && r.k() == row.k()
                    && Objects.equals(r.sampling(), row.sampling())) {
                methodMs.put(r.taskId(), r.timeMs());
            }
        }
        Map<String, Double> speedups = new LinkedHashMap<>();
        methodMs.forEach((task, ms) -> {
            Double base = baselineMs.get(task);
            if (base != null && ms > 0) {
                speedups.put(task, base / ms);
            }
        });
        return speedups;
    }

    /** The one-sided upper confidence bound of the mean of {@code values}: a percentile bootstrap over them. */
    static double bootstrapUpperBoundOfMean(double[] values, double confidence, long seed) {
        int n = values.length;
        double[] means = new double[RESAMPLES];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < RESAMPLES; r++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[random.nextInt(n)];
            }
            means[r] = sum / n;
        }
        Arrays.sort(means);
        return means[(int) Math.ceil(confidence * RESAMPLES) - 1];
    }

    static String key(RowSummary row) {
        return row.dataset() + "|" + row.decoder() + "|" + row.temperature() + "|" + row.k() + "|" + row.sampling();
    }

    static String label(RowSummary row) {
        return row.dataset() + " " + row.decoder() + (row.k() > 0 ? " k=" + row.k() : "")
                + (row.temperature() > 0 ? " T=" + row.temperature() : "")
                + (row.sampling() == null ? "" : " " + row.sampling());
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * fraction);
    }
}
