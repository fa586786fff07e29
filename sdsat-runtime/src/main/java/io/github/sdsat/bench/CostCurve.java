package io.github.sdsat.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.Records;
import io.github.sdsat.bench.CostCurveMeasurement.ModelCurve;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The cost-curve command: measures this machine's roofline ({@link Roofline}), then T(n) for every model named
 * against the roofline's floor ({@link CostCurveMeasurement}), prints markdown tables and writes a JSON report.
 *
 * <p>Run: {@code mvn -pl sdsat-runtime exec:java -Dexec.mainClass=io.github.sdsat.bench.CostCurve
 * -Dexec.args="--models sdsat,random --rounds 5 --threads 1 --json target/cost-curve.json"} (see {@link #USAGE}).
 * On a 7B-shaped model, where one pass takes a few tenths of a second, fewer points keep the run to minutes:
 * {@code --widths 1-16 --cached 0,512 --rounds 3 --ar-runs 0}.
 */
public final class CostCurve {
    /** New tokens per pass: every draft length up to 8 densely (where speculation lives), then sparser to 64. */
    public static final List<Integer> NEW_TOKENS = List.of(1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64);
    /** Tokens already in the KV cache: a fresh prompt, a typical prompt, a long context. */
    public static final List<Integer> CACHED = List.of(0, 256, 1024);
    /** The autoregressive run's prompt and new tokens ({@code --ar-runs}). */
    static final int AR_PROMPT_TOKENS = 100;

    static final int AR_NEW_TOKENS = 128;

    static final String USAGE = "usage: CostCurve [--models sdsat,random] [--widths 1-8,10,12,16,24,32,48,64] "
            + "[--cached 0,256,1024] [--rounds 5] [--threads 1] [--random-shape hidden:layers:heads:intermediate:"
            + "vocab:context (default " + RandomModels.DEFAULT_SHAPE + ")] [--ar-runs 3] "
            + "[--json target/cost-curve.json]; models are sdsat, base, random or a model folder; widths and cached "
            + "take integers and low-high ranges, widths must include 1";
    private static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    private static final String INTEROP_PROPERTY = "ai.djl.pytorch.num_interop_threads";

    private CostCurve() {}

    /**
     * Parsed command line.
     *
     * @param widths  pass sizes n to time, ascending, 1 among them
     * @param cached  cached lengths, ascending
     */
    record Options(
            List<String> models,
            List<Integer> widths,
            List<Integer> cached,
            int rounds,
            int threads,
            LlamaConfig randomShape,
            int arRuns,
            Path json) {
        static Options parse(String[] args) {
            List<String> models = List.of(EmbeddedModels.DEFAULT, "random");
            List<Integer> widths = NEW_TOKENS;
            List<Integer> cached = CACHED;
            int rounds = 5;
            int threads = 1;
            String shape = RandomModels.DEFAULT_SHAPE;
            int arRuns = 3;
            Path json = Path.of("target", "cost-curve.json");
            for (OptionValues.Option option : OptionValues.options(args, USAGE)) {
                String flag = option.flag();
                String value = option.value();
                switch (flag) {
                    case "--models" ->
                        models = Arrays.stream(value.split(","))
                                .map(String::strip)
                                .filter(s -> !s.isEmpty())
                                .toList();
                    case "--widths" -> widths = widths(value);
                    case "--cached" -> cached = cached(value);
                    case "--rounds" -> rounds = OptionValues.atLeast(flag, value, 1, USAGE);
                    case "--threads" -> threads = OptionValues.atLeast(flag, value, 1, USAGE);
                    case "--random-shape" -> shape = value;
                    case "--ar-runs" -> arRuns = OptionValues.atLeast(flag, value, 0, USAGE);
                    case "--json" -> json = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown argument " + flag + "; " + USAGE);
                }
            }
            if (models.isEmpty()) {
                throw new IllegalArgumentException("--models names no model; " + USAGE);
            }
            return new Options(models, widths, cached, rounds, threads, randomShape(shape), arRuns, json);
        }

        private static List<Integer> widths(String value) {
            TreeSet<Integer> widths = new TreeSet<>(OptionValues.integers("--widths", value, USAGE));
            if (widths.isEmpty() || widths.first() < 1) {
                throw new IllegalArgumentException("--widths '" + value + "' must name pass sizes of at least 1 new "
                        + "token, e.g. --widths 1-16");
            }
            if (widths.first() != 1) {
                throw new IllegalArgumentException("--widths '" + value + "' must include 1: the curve is reported "
                        + "relative to T(1); e.g. --widths 1-16");
            }
            return List.copyOf(widths);
        }

        private static List<Integer> cached(String value) {
            TreeSet<Integer> cached = new TreeSet<>(OptionValues.integers("--cached", value, USAGE));
            if (cached.isEmpty() || cached.first() < 0) {
                throw new IllegalArgumentException("--cached '" + value + "' must name cached lengths of 0 tokens or "
                        + "more, e.g. --cached 0,512");
            }
            return List.copyOf(cached);
        }

        /** The {@code --random-shape} configuration, refused with the option's name when malformed. */
        private static LlamaConfig randomShape(String shape) {
            try {
                return RandomModels.config(shape);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--random-shape: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Sets the backend's thread count before the engine starts; refuses a conflicting {@code -D} setting rather
     * than silently predicting for one thread count while the backend runs another.
     */
    static void pinThreads(int threads) {
        String set = System.getProperty(THREADS_PROPERTY);
        if (set != null && !set.strip().equals(Integer.toString(threads))) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + set + " disagrees with --threads "
                    + threads + ": drop one of them or make them equal");
        }
        System.setProperty(THREADS_PROPERTY, Integer.toString(threads));
        System.setProperty("sdsat.cpuThreads", Integer.toString(threads)); // the Java CPU pass
        if (System.getProperty(INTEROP_PROPERTY) == null) {
            System.setProperty(INTEROP_PROPERTY, "1"); // one pass at a time: no inter-op parallelism to use
        }
    }

    public static void main(String[] args) {
        DjlOffline.enable(); // before the first engine call: DJL must never go online
        Options options = Options.parse(args);
        pinThreads(options.threads());
        Roofline roofline = Roofline.measure();
        System.out.println(roofline.markdown());
        List<ModelCurve> curves = new ArrayList<>();
        for (String name : options.models()) {
            try (LlamaModel model = name.equals("random")
                    ? RandomModels.model(options.randomShape(), 1)
                    : LlamaModel.load(EmbeddedModels.resolve(name), Device.cpu(), DataType.FLOAT32)) {
                ModelCurve curve = CostCurveMeasurement.measure(
                        name, model, roofline, options.threads(), options.rounds(), options.widths(), options.cached());
                if (options.arRuns() > 0) {
                    double rate =
                            PassTimings.arTokensPerSecond(model, AR_PROMPT_TOKENS, AR_NEW_TOKENS, options.arRuns());
                    curve = Records.copyWith(curve, "arTokensPerSecond", rate);
                }
                System.out.println(CostCurveMeasurement.markdown(curve));
                curves.add(curve);
            }
        }
        CostCurveMeasurement.Report report = new CostCurveMeasurement.Report(
                Instant.now().toString(),
                System.getProperty("java.version"),
                System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(),
                options.threads(),
                ai.djl.pytorch.jni.JniUtils.getNumThreads(),
                roofline,
                curves);
        BenchmarkJson.write(report, options.json());
        System.out.println("JSON report: " + options.json().toAbsolutePath());
    }
}
