package io.github.sdsat.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.sdsat.SdsatException;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.results.Aggregator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The cost curve of speculative decoding: T(n), the median wall time of one pass of n new tokens (LM head on every
 * new row, argmax ids back in Java, as a verify pass needs), against the roofline's prediction for the same pass.
 *
 * <p>Speculation pays when T(k+1)/T(1) is small: a pass that verifies k drafts must cost little more than a pass
 * that emits one token. Physics sets the floor: a pass reads every weight once (memory-bound, T(n)/T(1) near 1)
 * until its FLOPs catch up with the bytes (compute-bound, T(n) growing with n). Printing both curves shows whether
 * a runtime's curve comes from the hardware or from its own overhead. Only the public pass API ({@link
 * LlamaModel#argmax}, {@link LlamaModel#newCache}, {@link KvCache#truncate}) is timed, so the curve measures
 * whatever backend runs underneath.
 *
 * <p>Settings (cached length × new tokens) are interleaved, in a fresh shuffled order every round, after one
 * warm-up round, so that drift of a noisy shared machine spreads over all of them; medians are reported.
 *
 * <p>Run: {@code mvn -pl sdsat-runtime exec:java -Dexec.mainClass=io.github.sdsat.bench.CostCurve
 * -Dexec.args="--models sdsat,random --rounds 5 --threads 1 --json target/cost-curve.json"} (see {@link #USAGE}).
 */
public final class CostCurve {
    /** New tokens per pass: every draft length up to 8 densely (where speculation lives), then sparser to 64. */
    public static final List<Integer> NEW_TOKENS = List.of(1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64);
    /** Tokens already in the KV cache: a fresh prompt, a typical prompt, a long context. */
    public static final List<Integer> CACHED = List.of(0, 256, 1024);
    /** The memory-bound default shape: ~0.54 GB of F32 matmul weights, several times the last-level cache. */
    public static final String DEFAULT_RANDOM_SHAPE = "1024:8:16:2816:32000:2048";

    static final String USAGE = "usage: CostCurve [--models sdsat,random] [--rounds 5] [--threads 1] "
            + "[--random-shape hidden:layers:heads:intermediate:vocab:context (default " + DEFAULT_RANDOM_SHAPE
            + ")] [--ar-runs 3] [--json target/cost-curve.json]; models are sdsat, base, random or a model folder";
    private static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    private static final String INTEROP_PROPERTY = "ai.djl.pytorch.num_interop_threads";

    private CostCurve() {}

    // ---------------------------------------------------------------------------------------------- results

    /**
     * One pass size at one cached length.
     *
     * @param newTokens       n, the tokens fed in the pass
     * @param medianMs        T(n): median over the rounds
     * @param ratio           T(n) / T(1) at the same cached length
     * @param predictedMs     the roofline's floor for this pass
     * @param predictedRatio  predicted T(n) / predicted T(1)
     * @param bound           {@code "memory"} or {@code "compute"}: which term of the roofline sets the floor
     * @param flops           FLOPs of the pass as the prediction counts them
     * @param bytes           bytes the pass must read (matmul weights and the K/V it attends to)
     * @param samplesMs       every timed sample, in round order
     */
    public record Point(
            int newTokens,
            double medianMs,
            double ratio,
            double predictedMs,
            double predictedRatio,
            String bound,
            double flops,
            long bytes,
            List<Double> samplesMs) {
        /** How many times slower than its physical floor the pass ran. */
        public double overRoofline() {
            return medianMs / predictedMs;
        }
    }

    /** The curve at one cached length, points in {@link #NEW_TOKENS} order. */
    public record Curve(int cached, List<Point> points) {}

    /**
     * One model's curves.
     *
     * @param model              its name (an embedded model, "random", or a folder)
     * @param config             its architecture
     * @param bytesPerWeight     bytes of one weight element in the compute dtype
     * @param matmulParameters   weights a pass multiplies with ({@link #matmulParameters})
     * @param threads            threads the prediction assumes for the backend
     * @param rounds             timed rounds (after one warm-up round)
     * @param curves             one per cached length that fits the context
     * @param skipped            one line per cached length left out, saying why
     * @param arTokensPerSecond  median autoregressive greedy tokens/s (100-token prompt, 128 new), null if not run
     * @param backend            the forward pass measured ({@link LlamaModel#backend()})
     */
    public record ModelCurve(
            String model,
            LlamaConfig config,
            int bytesPerWeight,
            long matmulParameters,
            int threads,
            int rounds,
            List<Curve> curves,
            List<String> skipped,
            Double arTokensPerSecond,
            String backend) {}

    /**
     * The whole run: the machine, its roofline, every model's curves.
     *
     * @param pytorchThreads  intra-op threads PyTorch reported after the models loaded (the DJL path's threads)
     */
    public record Report(
            String measuredAt,
            String javaVersion,
            String osArch,
            int availableProcessors,
            int threads,
            int pytorchThreads,
            Roofline roofline,
            List<ModelCurve> models) {}

    // ---------------------------------------------------------------------------------------------- prediction

    /**
     * The roofline's floor for one pass, and its terms.
     *
     * @param flops           2·n·matmulParameters + Σ layers 2·2·n·(cached+n)·heads·headDim (QKᵀ and PV)
     * @param bytes           weight bytes + K/V bytes read
     * @param memorySeconds   bytes / bandwidth(bytes, threads)
     * @param computeSeconds  flops / FMA peak(threads)
     */
    public record Prediction(double flops, long bytes, double memorySeconds, double computeSeconds) {
        public double seconds() {
            return Math.max(memorySeconds, computeSeconds);
        }

        public String bound() {
            return memorySeconds >= computeSeconds ? "memory" : "compute";
        }
    }

    /**
     * Weights a pass multiplies with: per layer the q, k, v, o, gate, up and down projections, plus the LM head
     * (vocab × hidden, counted even when tied to the embeddings, since the head reads the whole matrix). The
     * embedding lookup reads only n rows and the norm weights are folded into the projections, so neither counts.
     */
    public static long matmulParameters(LlamaConfig c) {
        long hidden = c.hiddenSize();
        long perLayer = hidden * (c.attentionSize() + 2L * c.kvSize()) // fused q|k|v
                + (long) c.attentionSize() * hidden // o
                + 3L * hidden * c.intermediateSize(); // gate, up, down
        return c.numLayers() * perLayer + (long) c.vocabSize() * hidden;
    }

    /**
     * The floor for a pass of {@code n} new tokens after {@code cached}: every matmul weight is read once and the
     * attention reads the K and V of all cached + n tokens in every layer (memory term, at the bandwidth measured
     * for that working set), against 2 FLOPs per weight per token plus the attention's QKᵀ and PV products
     * (compute term, at the FMA peak).
     *
     * @throws IllegalArgumentException for n below 1, negative cached, or bytes per weight below 1
     */
    public static Prediction predict(
            LlamaConfig c, int bytesPerWeight, int cached, int n, Roofline roofline, int threads) {
        if (n < 1 || cached < 0 || bytesPerWeight < 1) {
            throw new IllegalArgumentException("a pass needs n >= 1 new tokens, cached >= 0 and bytesPerWeight >= 1; "
                    + "got n " + n + ", cached " + cached + ", bytesPerWeight " + bytesPerWeight);
        }
        long total = (long) cached + n;
        long weightBytes = matmulParameters(c) * bytesPerWeight;
        long kvBytes = 2L * c.numLayers() * total * c.kvSize() * bytesPerWeight; // K and V of every layer
        long bytes = weightBytes + kvBytes;
        double flops = 2.0 * n * matmulParameters(c)
                + c.numLayers() * 2.0 * 2.0 * n * total * c.attentionSize(); // QKᵀ and PV, per layer
        return new Prediction(
                flops,
                bytes,
                bytes / roofline.bandwidthFor(bytes, threads),
                flops / roofline.fmaFlopsPerSecond(threads));
    }

    // ---------------------------------------------------------------------------------------------- measurement

    /**
     * Measures and predicts one model's curves.
     *
     * @param newTokens    pass sizes (each at least 1; {@link #NEW_TOKENS} normally)
     * @param cachedValues cached lengths ({@link #CACHED} normally); those where cached + the largest pass exceed
     *                     the model's context are skipped and listed in {@link ModelCurve#skipped}
     * @param rounds       timed rounds after the warm-up round
     */
    public static ModelCurve measure(
            String name,
            LlamaModel model,
            Roofline roofline,
            int threads,
            int rounds,
            List<Integer> newTokens,
            List<Integer> cachedValues) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        }
        if (newTokens.isEmpty() || newTokens.stream().anyMatch(n -> n < 1) || !newTokens.contains(1)) {
            throw new IllegalArgumentException("new-token counts " + newTokens + " must all be >= 1 and include 1: "
                    + "the curve is reported relative to T(1)");
        }
        if (cachedValues.isEmpty() || cachedValues.stream().anyMatch(c -> c < 0)) {
            throw new IllegalArgumentException(
                    "cached lengths " + cachedValues + " must be a non-empty list of " + "values >= 0");
        }
        LlamaConfig config = model.config();
        int maxN = Collections.max(newTokens);
        List<Integer> fitting = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (int cached : cachedValues) {
            if ((long) cached + maxN > config.maxPositions()) {
                skipped.add("cached " + cached + " skipped: " + cached + " + " + maxN + " new tokens exceed the "
                        + "model's context (max_position_embeddings " + config.maxPositions() + ")");
            } else {
                fitting.add(cached);
            }
        }
        Map<Integer, Map<Integer, List<Double>>> samples = time(model, fitting, newTokens, rounds);
        int bytesPerWeight = model.dtype().getNumOfBytes();
        List<Curve> curves = new ArrayList<>();
        for (int cached : fitting) {
            Map<Integer, List<Double>> byN = samples.get(cached);
            double t1 = median(byN.get(1));
            double p1 = predict(config, bytesPerWeight, cached, 1, roofline, threads)
                            .seconds()
                    * 1e3;
            List<Point> points = new ArrayList<>();
            for (int n : newTokens) {
                double ms = median(byN.get(n));
                Prediction p = predict(config, bytesPerWeight, cached, n, roofline, threads);
                points.add(new Point(
                        n,
                        ms,
                        ms / t1,
                        p.seconds() * 1e3,
                        p.seconds() * 1e3 / p1,
                        p.bound(),
                        p.flops(),
                        p.bytes(),
                        List.copyOf(byN.get(n))));
            }
            curves.add(new Curve(cached, points));
        }
        return new ModelCurve(
                name,
                config,
                bytesPerWeight,
                matmulParameters(config),
                threads,
                rounds,
                curves,
                skipped,
                null,
                model.backend());
    }

    /**
     * Median ms of one pass of each width with {@code cached} tokens in the cache (random tokens; the cost does not
     * depend on them), widths interleaved in a shuffled order per round after a warm-up round.
     */
    public static Map<Integer, Double> medians(LlamaModel model, int cached, List<Integer> widths, int rounds) {
        Map<Integer, Double> out = new LinkedHashMap<>();
        time(model, List.of(cached), widths, rounds).get(cached).forEach((n, samples) -> out.put(n, median(samples)));
        return out;
    }

    /** Samples in ms by cached length, then by n; one per timed round. */
    static Map<Integer, Map<Integer, List<Double>>> time(
            LlamaModel model, List<Integer> cachedValues, List<Integer> newTokens, int rounds) {
        Random random = new Random(1);
        int vocab = model.config().vocabSize();
        int maxN = Collections.max(newTokens);
        Map<Integer, Map<Integer, List<Double>>> samples = new LinkedHashMap<>();
        List<KvCache> caches = new ArrayList<>();
        try {
            for (int cached : cachedValues) {
                KvCache cache = model.newCache(cached + maxN);
                caches.add(cache);
                if (cached > 0) {
                    // the prefill only fills the cache; its one logits row is discarded
                    model.argmax(cache, random.longs(cached, 0, vocab).toArray(), range(0, cached), null, cached - 1);
                }
                Map<Integer, List<Double>> byN = new LinkedHashMap<>();
                newTokens.forEach(n -> byN.put(n, new ArrayList<>()));
                samples.put(cached, byN);
            }
            List<int[]> settings = new ArrayList<>(); // {index into cachedValues, n}
            for (int c = 0; c < cachedValues.size(); c++) {
                for (int n : newTokens) {
                    settings.add(new int[] {c, n});
                }
            }
            for (int round = -1; round < rounds; round++) { // round -1 warms every shape up
                Collections.shuffle(settings, new Random(100 + round));
                for (int[] s : settings) {
                    int cached = cachedValues.get(s[0]);
                    KvCache cache = caches.get(s[0]);
                    int n = s[1];
                    long[] tokens = random.longs(n, 0, vocab).toArray();
                    long[] positions = range(cached, n);
                    long t0 = model.clock(); // LlamaModel.clock waits for the device before reading the clock
                    model.argmax(cache, tokens, positions, null, 0); // LM head on every row, ids in Java
                    double ms = (model.clock() - t0) / 1e6;
                    cache.truncate(cached);
                    if (round >= 0) {
                        samples.get(cached).get(n).add(ms);
                    }
                }
            }
        } finally {
            caches.forEach(KvCache::close);
        }
        return samples;
    }

    /** Median autoregressive greedy tokens/s (prefill included) over {@code runs} generations after one warm-up. */
    public static double arTokensPerSecond(LlamaModel model, int promptLength, int newTokens, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        }
        long[] prompt =
                new Random(2).longs(promptLength, 0, model.config().vocabSize()).toArray();
        AutoregressiveDecoder ar = new AutoregressiveDecoder(model);
        GenerationConfig config = GenerationConfig.greedy(newTokens);
        ar.generate(prompt, config);
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            rates.add(ar.generate(prompt, config).stats().tokensPerSecond());
        }
        return median(rates);
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("median of no samples: run at least one round");
        }
        return Aggregator.median(
                values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static long[] range(long from, int n) {
        long[] p = new long[n]; // [n] positions from..from+n-1
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }

    // ---------------------------------------------------------------------------------------------- models

    /**
     * A random-weight model of the given shape. The cost curve does not depend on the weights' values, so any
     * shape can be measured without training it.
     */
    public static LlamaModel randomModel(LlamaConfig config, long seed) {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters p = LlamaParameters.initialize(config, m, seed, 0.05)) {
            return LlamaModel.fromSource(config, p.asWeightSource(), Device.cpu(), DataType.FLOAT32);
        }
    }

    /**
     * Parses {@code hidden:layers:heads:intermediate:vocab:context} (tied embeddings, no grouped-query attention).
     *
     * @throws IllegalArgumentException naming the field when the text is malformed
     */
    public static LlamaConfig randomShape(String shape) {
        String[] p = shape.split(":");
        if (p.length != 6) {
            throw new IllegalArgumentException("random shape '" + shape + "' must be hidden:layers:heads:"
                    + "intermediate:vocab:context, e.g. " + DEFAULT_RANDOM_SHAPE);
        }
        int[] v = new int[6];
        String[] names = {"hidden", "layers", "heads", "intermediate", "vocab", "context"};
        for (int i = 0; i < 6; i++) {
            try {
                v[i] = Integer.parseInt(p[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("random shape '" + shape + "': " + names[i] + " '" + p[i]
                        + "' is not an integer; e.g. " + DEFAULT_RANDOM_SHAPE);
            }
        }
        if (v[2] <= 0 || v[0] % v[2] != 0) {
            throw new IllegalArgumentException(
                    "random shape '" + shape + "': hidden " + v[0] + " must be a " + "multiple of heads " + v[2]);
        }
        return new LlamaConfig(
                v[0], v[3], v[1], v[2], v[2], v[0] / v[2], v[4], 1e-5, 10000, v[5], true, 0, List.of(1), "float32");
    }

    // ---------------------------------------------------------------------------------------------- output

    /** One model's curves as markdown: a heading line, the skipped cached lengths, one table per cached length. */
    public static String markdown(ModelCurve m) {
        LlamaConfig c = m.config();
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "### %s: hidden %d, %d layers, %d heads, intermediate %d, vocab %d "
                        + "(%.1fM matmul weights, %.0f MB read per pass), %s, median of %d round(s)%n%n",
                m.model(),
                c.hiddenSize(),
                c.numLayers(),
                c.numHeads(),
                c.intermediateSize(),
                c.vocabSize(),
                m.matmulParameters() / 1e6,
                m.matmulParameters() * (double) m.bytesPerWeight() / 1e6,
                m.backend(),
                m.rounds()));
        for (String s : m.skipped()) {
            out.append("- ").append(s).append('\n');
        }
        if (!m.skipped().isEmpty()) {
            out.append('\n');
        }
        if (m.arTokensPerSecond() != null) {
            out.append(String.format(
                    Locale.ROOT,
                    "Autoregressive greedy (100-token prompt, 128 new tokens): " + "%.0f tokens/s%n%n",
                    m.arTokensPerSecond()));
        }
        for (Curve curve : m.curves()) {
            out.append(String.format("%d tokens cached:%n%n", curve.cached()));
            out.append("| new tokens | T(n) ms | T(n)/T(1) | roofline ms | roofline ratio | bound | T/roofline |\n");
            out.append("|---|---|---|---|---|---|---|\n");
            for (Point p : curve.points()) {
                out.append(String.format(
                        Locale.ROOT,
                        "| %d | %.2f | %.2f | %.3f | %.2f | %s | %.1f |%n",
                        p.newTokens(),
                        p.medianMs(),
                        p.ratio(),
                        p.predictedMs(),
                        p.predictedRatio(),
                        p.bound(),
                        p.overRoofline()));
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** Jackson, indented, for the JSON report. */
    static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** Writes the report as JSON, atomically (a reader never sees half a file). */
    public static void write(Report report, Path json) {
        try {
            byte[] bytes = mapper().writeValueAsBytes(report);
            AtomicFiles.write(json, temporary -> java.nio.file.Files.write(temporary, bytes));
        } catch (IOException e) {
            throw new SdsatException(
                    "cannot write " + json + ": " + e.getMessage() + "; choose a writable path " + "with --json", e);
        }
    }

    // ---------------------------------------------------------------------------------------------- main

    /** Parsed command line. */
    record Options(List<String> models, int rounds, int threads, LlamaConfig randomShape, int arRuns, Path json) {
        static Options parse(String[] args) {
            List<String> models = List.of(EmbeddedModels.DEFAULT, "random");
            int rounds = 5;
            int threads = 1;
            String shape = DEFAULT_RANDOM_SHAPE;
            int arRuns = 3;
            Path json = Path.of("target", "cost-curve.json");
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value; " + USAGE);
                }
                String value = args[++i];
                switch (flag) {
                    case "--models" ->
                        models = Arrays.stream(value.split(","))
                                .map(String::strip)
                                .filter(s -> !s.isEmpty())
                                .toList();
                    case "--rounds" -> rounds = positive(flag, value);
                    case "--threads" -> threads = positive(flag, value);
                    case "--random-shape" -> shape = value;
                    case "--ar-runs" -> arRuns = nonNegative(flag, value);
                    case "--json" -> json = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown argument " + flag + "; " + USAGE);
                }
            }
            if (models.isEmpty()) {
                throw new IllegalArgumentException("--models names no model; " + USAGE);
            }
            return new Options(models, rounds, threads, CostCurve.randomShape(shape), arRuns, json);
        }

        private static int positive(String flag, String value) {
            int v = nonNegative(flag, value);
            if (v == 0) {
                throw new IllegalArgumentException(flag + " must be at least 1, got 0");
            }
            return v;
        }

        private static int nonNegative(String flag, String value) {
            try {
                int v = Integer.parseInt(value.strip());
                if (v < 0) {
                    throw new IllegalArgumentException(flag + " must not be negative, got " + v);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " takes an integer, got '" + value + "'; " + USAGE);
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
                    ? randomModel(options.randomShape(), 1)
                    : LlamaModel.load(EmbeddedModels.resolve(name), Device.cpu(), DataType.FLOAT32)) {
                ModelCurve curve =
                        measure(name, model, roofline, options.threads(), options.rounds(), NEW_TOKENS, CACHED);
                if (options.arRuns() > 0) {
                    curve = new ModelCurve(
                            curve.model(),
                            curve.config(),
                            curve.bytesPerWeight(),
                            curve.matmulParameters(),
                            curve.threads(),
                            curve.rounds(),
                            curve.curves(),
                            curve.skipped(),
                            arTokensPerSecond(model, 100, 128, options.arRuns()),
                            curve.backend());
                }
                System.out.println(markdown(curve));
                curves.add(curve);
            }
        }
        Report report = new Report(
                Instant.now().toString(),
                System.getProperty("java.version"),
                System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(),
                options.threads(),
                ai.djl.pytorch.jni.JniUtils.getNumThreads(),
                roofline,
                curves);
        write(report, options.json());
        System.out.println("JSON report: " + options.json().toAbsolutePath());
    }
}
