package io.github.sdsat.bench;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.DraftVerifyDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.results.Aggregator;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * What the speculative loops deliver when every draft is accepted: autoregressive greedy decoding against the
 * one-pass oracle ({@link Decoders#oracle}: k drafts verified in one pass of k+1 tokens, as {@code lookup} does) and
 * the two-step oracle ({@link Decoders#oracleTwoStep}: SDSAT's draft pass and verify pass of k+1 tokens each), with
 * the AR output of the same prompt as the reference, on a random-weight model of a memory-bound shape.
 *
 * <p>Each row is set against its ceiling, the speedup with zero loop overhead given the measured pass costs T(n)
 * ({@link PassTimings}, same process, at the cached length of mid-generation): one-pass
 * (k+1)·T(1)/T(k+1) (k+1 tokens per pass of k+1 tokens against k+1 one-token passes), two-step
 * (k+2)·T(1)/(2·T(k+1)). A row far below its ceiling spends its time outside the passes.
 *
 * <p>Protocol: random prompts (seeded), one warm-up prompt through every configuration first (discarded: JIT), then
 * per prompt the AR run (its output is the oracles' reference) followed by every oracle configuration, so drift of a
 * shared machine hits all rows alike. Per row: the median over prompts of tokens/s (prefill included; and after the
 * prefill, the decode rate the ceiling compares with) and of tokens
 * per pass; speedup = the row's median tokens/s / AR's median tokens/s. Every oracle output is checked against the AR
 * output id by id ({@link Row#identical}).
 *
 * <p>Run (takes the given threads for a few minutes on the default shape): {@code mvn -pl sdsat-runtime exec:java
 * -Dexec.mainClass=io.github.sdsat.bench.OracleBenchmark -Dexec.args="--threads 2 --json
 * target/oracle-benchmark.json"} (see {@link #USAGE}).
 */
public final class OracleBenchmark {
    static final String USAGE = "usage: OracleBenchmark [--model <folder> | --random-shape "
            + "hidden:layers:heads:intermediate:vocab:context (default " + RandomModels.DEFAULT_SHAPE
            + ")] [--prompts 3] [--prompt-length 100] "
            + "[--new-tokens 128] [--one-pass-k 1,3,5,7] [--two-step-k 3,5] [--curve-rounds 5] [--threads 1] "
            + "[--json target/oracle-benchmark.json]";

    private OracleBenchmark() {}

    /**
     * One configuration's medians.
     *
     * @param decoder        {@code ar}, {@code oracle} (one pass per loop) or {@code oracle-two-step}
     * @param k              drafts per loop (0 for AR)
     * @param tokensPerSecond median over prompts, prefill included
     * @param speedup        tokensPerSecond / AR's tokensPerSecond
     * @param tokensPerPass  median over prompts of new tokens / forward passes (prefill counted)
     * @param ceiling        the zero-overhead speedup from the measured T(n) (class comment); 1 for AR
     * @param identical      prompts whose output ids equal AR's
     * @param samples        tokens/s per prompt, in prompt order
     * @param decodeTokensPerSecond median over prompts of the tokens after the first / the decode time (prefill
     *     excluded): what the ceiling, a ratio of decode passes, is to be compared with
     * @param decodeSpeedup  decodeTokensPerSecond / AR's decodeTokensPerSecond
     */
    public record Row(
            String decoder,
            int k,
            double tokensPerSecond,
            double speedup,
            double tokensPerPass,
            double ceiling,
            int identical,
            List<Double> samples,
            double decodeTokensPerSecond,
            double decodeSpeedup) {}

    /**
     * A whole run.
     *
     * @param passMs  T(n) in ms by n (median over the curve rounds) at {@code cached} tokens in the cache
     */
    public record Report(
            String measuredAt,
            String javaVersion,
            String backend,
            LlamaConfig config,
            int prompts,
            int promptLength,
            int newTokens,
            int cached,
            Map<Integer, Double> passMs,
            List<Row> rows) {}

    /** The benchmark's settings (the command line's, or a test's). */
    public record Options(
            LlamaConfig shape,
            int prompts,
            int promptLength,
            int newTokens,
            List<Integer> onePassK,
            List<Integer> twoStepK,
            int curveRounds,
            int threads,
            Path json,
            Path model) {
        /**
         * The settings; {@code model} is a model folder to measure (its own weights, e.g. the 7B-shaped BF16
         * widening), or null for a random-weight model of {@code shape}.
         */
        public Options {
            if (prompts < 1 || promptLength < 1 || newTokens < 2 || curveRounds < 1 || threads < 1) {
                throw new IllegalArgumentException("prompts, prompt length, curve rounds and threads must be at least "
                        + "1 and new tokens at least 2; got prompts " + prompts + ", prompt length " + promptLength
                        + ", new tokens " + newTokens + ", curve rounds " + curveRounds + ", threads " + threads
                        + "; " + USAGE);
            }
            for (int k : concat(onePassK, twoStepK)) {
                if (k < 1 || k > 15) {
                    throw new IllegalArgumentException("k = " + k + " is not a draft length: give k from 1 to 15 in "
                            + "--one-pass-k and --two-step-k");
                }
            }
            if (onePassK.isEmpty() && twoStepK.isEmpty()) {
                throw new IllegalArgumentException("--one-pass-k and --two-step-k are both empty: give at least one k");
            }
            onePassK = List.copyOf(onePassK);
            twoStepK = List.copyOf(twoStepK);
        }

        static Options parse(String[] args) {
            String shape = RandomModels.DEFAULT_SHAPE;
            int prompts = 3;
            int promptLength = 100;
            int newTokens = 128;
            List<Integer> onePass = List.of(1, 3, 5, 7);
            List<Integer> twoStep = List.of(3, 5);
            int curveRounds = 5;
            int threads = 1;
            Path json = Path.of("target", "oracle-benchmark.json");
            Path model = null;
            boolean shapeGiven = false;
            for (OptionValues.Option option : OptionValues.options(args, USAGE)) {
                String flag = option.flag();
                String value = option.value();
                switch (flag) {
                    case "--random-shape" -> {
                        shape = value;
                        shapeGiven = true;
                    }
                    case "--model" -> model = Path.of(value);
                    case "--prompts" -> prompts = OptionValues.integer(flag, value, USAGE);
                    case "--prompt-length" -> promptLength = OptionValues.integer(flag, value, USAGE);
                    case "--new-tokens" -> newTokens = OptionValues.integer(flag, value, USAGE);
                    case "--one-pass-k" -> onePass = OptionValues.integers(flag, value, USAGE);
                    case "--two-step-k" -> twoStep = OptionValues.integers(flag, value, USAGE);
                    case "--curve-rounds" -> curveRounds = OptionValues.integer(flag, value, USAGE);
                    case "--threads" -> threads = OptionValues.integer(flag, value, USAGE);
                    case "--json" -> json = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown argument " + flag + "; " + USAGE);
                }
            }
            if (model != null && shapeGiven) {
                throw new IllegalArgumentException("--model and --random-shape both given: measure a model folder or a "
                        + "random-weight shape, not both; " + USAGE);
            }
            if (model != null && !java.nio.file.Files.isRegularFile(model.resolve("config.json"))) {
                throw new IllegalArgumentException(
                        "--model " + model + " has no config.json: give a Hugging Face "
                                + "Llama folder (config.json and safetensors), e.g. the 7B-shaped widening of docs/PAPER-SCALE.md");
            }
            return new Options(
                    randomShape(shape),
                    prompts,
                    promptLength,
                    newTokens,
                    onePass,
                    twoStep,
                    curveRounds,
                    threads,
                    json,
                    model);
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
     * Measures every configuration on {@code model} (any weights: with the AR output as reference every oracle draft
     * is accepted, whatever the model computes).
     *
     * @throws IllegalArgumentException when prompt + new tokens + the largest k do not fit the model's context
     */
    public static Report run(LlamaModel model, Options o) {
        LlamaConfig config = model.config();
        int kMax = concat(o.onePassK(), o.twoStepK()).stream()
                .mapToInt(Integer::intValue)
                .max()
                .orElse(1);
        int needed = o.promptLength() + o.newTokens() + kMax + 3; // the decoders' scratch slots
        if (needed > config.maxPositions()) {
            throw new IllegalArgumentException("prompt length " + o.promptLength() + " + new tokens " + o.newTokens()
                    + " + scratch for k = " + kMax + " need " + needed + " positions, more than the model's context "
                    + config.maxPositions() + ": lower --prompt-length, --new-tokens or k");
        }
        // T(n) at mid-generation, for the ceilings
        int cached = o.promptLength() + o.newTokens() / 2;
        TreeSet<Integer> widths = new TreeSet<>();
        widths.add(1);
        concat(o.onePassK(), o.twoStepK()).forEach(k -> widths.add(k + 1));
        Map<Integer, Double> passMs = new LinkedHashMap<>();
        PassTimings.samples(model, List.of(cached), List.copyOf(widths), o.curveRounds())
                .get(cached)
                .forEach((n, samples) -> passMs.put(n, Aggregator.median(samples)));

        List<String> names = new ArrayList<>(); // configuration labels, in run order: ar first
        List<Integer> ks = new ArrayList<>();
        names.add(AutoregressiveDecoder.NAME);
        ks.add(0);
        for (int k : o.onePassK()) {
            names.add(DraftVerifyDecoder.ORACLE);
            ks.add(k);
        }
        for (int k : o.twoStepK()) {
            names.add(SdsatTwoStepDrafter.ORACLE_NAME);
            ks.add(k);
        }
        int configs = names.size();
        List<List<Double>> rates = new ArrayList<>(); // [configs][prompts] tokens/s
        List<List<Double>> perPass = new ArrayList<>(); // [configs][prompts] tokens per pass
        List<List<Double>> decodeRates = new ArrayList<>(); // [configs][prompts] tokens/s after the prefill
        int[] identical = new int[configs];
        for (int c = 0; c < configs; c++) {
            decodeRates.add(new ArrayList<>());
            rates.add(new ArrayList<>());
            perPass.add(new ArrayList<>());
        }
        Random random = new Random(11);
        AutoregressiveDecoder ar = new AutoregressiveDecoder(model);
        for (int p = -1; p < o.prompts(); p++) { // prompt -1 warms every configuration up and is discarded
            long[] prompt =
                    random.longs(o.promptLength(), 0, config.vocabSize()).toArray(); // [promptLength]
            GenerationResult base = null;
            for (int c = 0; c < configs; c++) {
                GenerationConfig gc = GenerationConfig.builder()
                        .maxNewTokens(o.newTokens())
                        .k(Math.max(1, ks.get(c)))
                        .build();
                GenerationResult r;
                if (c == 0) {
                    r = ar.generate(prompt, gc);
                    base = r;
                } else {
                    long[] reference = base.outputIds();
                    Decoder d = names.get(c).equals(DraftVerifyDecoder.ORACLE)
                            ? Decoders.oracle(model, reference)
                            : Decoders.oracleTwoStep(model, reference);
                    r = d.generate(prompt, gc);
                }
                if (p >= 0) {
                    rates.get(c).add(r.stats().tokensPerSecond());
                    perPass.get(c).add(r.stats().tokensPerForward());
                    // the prefill emits the first token; the decode loop the others
                    decodeRates
                            .get(c)
                            .add((r.stats().newTokens() - 1) / (r.stats().decodeMs() / 1000.0));
                    identical[c] += Arrays.equals(r.outputIds(), base.outputIds()) ? 1 : 0;
                }
            }
        }
        double arRate = Aggregator.median(rates.get(0));
        double arDecodeRate = Aggregator.median(decodeRates.get(0));
        double t1 = passMs.get(1);
        List<Row> rows = new ArrayList<>();
        for (int c = 0; c < configs; c++) {
            int k = ks.get(c);
            double ceiling = k == 0
                    ? 1.0
                    : names.get(c).equals(DraftVerifyDecoder.ORACLE)
                            ? (k + 1) * t1 / passMs.get(k + 1)
                            : (k + 2) * t1 / (2 * passMs.get(k + 1));
            double rate = Aggregator.median(rates.get(c));
            rows.add(new Row(
                    names.get(c),
                    k,
                    rate,
                    rate / arRate,
                    Aggregator.median(perPass.get(c)),
                    ceiling,
                    identical[c],
                    List.copyOf(rates.get(c)),
                    Aggregator.median(decodeRates.get(c)),
                    Aggregator.median(decodeRates.get(c)) / arDecodeRate));
        }
        return new Report(
                Instant.now().toString(),
                System.getProperty("java.version"),
                model.backend(),
                config,
                o.prompts(),
                o.promptLength(),
                o.newTokens(),
                cached,
                passMs,
                rows);
    }

    /** The report as markdown: a heading line, T(n), and one table row per configuration. */
    public static String markdown(Report r) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "### Oracle loops: %s, %s; %d prompt(s) of %d tokens, %d new tokens, greedy%n%n",
                RandomModels.describe(r.config()),
                r.backend(),
                r.prompts(),
                r.promptLength(),
                r.newTokens()));
        out.append(String.format("T(n) at %d cached tokens:", r.cached()));
        double t1 = r.passMs().get(1);
        r.passMs().forEach((n, ms) -> out.append(String.format(Locale.ROOT, " T(%d) %.2f ms (%.2fx)", n, ms, ms / t1)));
        out.append("\n\n");
        MarkdownTable.write(
                out,
                r.rows(),
                MarkdownTable.column("decoder", "%s", Row::decoder),
                MarkdownTable.column("k", "%d", Row::k),
                MarkdownTable.column("tokens/s", "%.1f", Row::tokensPerSecond),
                MarkdownTable.column("speedup vs ar", "%.2fx", Row::speedup),
                MarkdownTable.column("tokens per pass", "%.2f", Row::tokensPerPass),
                MarkdownTable.column("decode tokens/s", "%.1f", Row::decodeTokensPerSecond),
                MarkdownTable.column("decode speedup", "%.2fx", Row::decodeSpeedup),
                MarkdownTable.column("ceiling", "%.2fx", Row::ceiling),
                new MarkdownTable.Column<>("identical", row -> row.identical() + "/" + r.prompts()));
        return out.toString();
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    public static void main(String[] args) {
        DjlOffline.enable(); // before the first engine call: DJL must never go online
        Options options = Options.parse(args);
        CostCurve.pinThreads(options.threads());
        try (LlamaModel model = options.model() == null
                ? RandomModels.model(options.shape(), 1)
                : LlamaModel.load(options.model(), ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32)) {
            Report report = run(model, options);
            System.out.println(markdown(report));
            BenchmarkJson.write(report, options.json());
            System.out.println("JSON report: " + options.json().toAbsolutePath());
        }
    }
}
