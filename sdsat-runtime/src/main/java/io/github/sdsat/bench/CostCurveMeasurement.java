package io.github.sdsat.bench;

import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.results.Aggregator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost curve of speculative decoding: T(n) ({@link PassTimings}) against the roofline's floor for the same pass
 * ({@link PassFloor}), per model and cached length, and how {@link CostCurve} prints and writes it.
 *
 * <p>Speculation pays when T(k+1)/T(1) is small: a pass that verifies k drafts must cost little more than a pass
 * that emits one token. Medians over the rounds are reported.
 */
public final class CostCurveMeasurement {
    private CostCurveMeasurement() {}

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

    /** The curve at one cached length, points in the order of the pass sizes measured. */
    public record Curve(int cached, List<Point> points) {}

    /**
     * One model's curves.
     *
     * @param model              its name (an embedded model, "random", or a folder)
     * @param config             its architecture
     * @param bytesPerWeight     weightBytesPerPass / matmulParameters: 4 for F32 weights, 2 for BF16, a little more
     *                           where the Java pass pads its weight tiles
     * @param weightBytesPerPass bytes of weights one pass reads, as the model stores them
     *                           ({@link LlamaModel#weightBytesPerPass()}): the floor's weight term
     * @param matmulParameters   weights a pass multiplies with ({@link PassFloor#matmulParameters})
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
            double bytesPerWeight,
            long weightBytesPerPass,
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

    /**
     * Measures and predicts one model's curves.
     *
     * @param newTokens    pass sizes (each at least 1, 1 among them; {@link CostCurve#NEW_TOKENS} by default)
     * @param cachedValues cached lengths ({@link CostCurve#CACHED} by default); those where cached + the largest pass
     *                     exceed the model's context are skipped and listed in {@link ModelCurve#skipped}
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
        Map<Integer, Map<Integer, List<Double>>> samples = PassTimings.samples(model, fitting, newTokens, rounds);
        long weightBytes = model.weightBytesPerPass();
        int kvBytes = model.dtype().getNumOfBytes(); // the cache holds K and V in the compute dtype
        List<Curve> curves = new ArrayList<>();
        for (int cached : fitting) {
            Map<Integer, List<Double>> byN = samples.get(cached);
            double t1 = Aggregator.median(byN.get(1));
            double p1 = PassFloor.predict(config, weightBytes, kvBytes, cached, 1, roofline, threads)
                            .seconds()
                    * 1e3;
            List<Point> points = new ArrayList<>();
            for (int n : newTokens) {
                double ms = Aggregator.median(byN.get(n));
                PassFloor.Prediction p = PassFloor.predict(config, weightBytes, kvBytes, cached, n, roofline, threads);
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
        long matmulParameters = PassFloor.matmulParameters(config);
        return new ModelCurve(
                name,
                config,
                (double) weightBytes / matmulParameters,
                weightBytes,
                matmulParameters,
                threads,
                rounds,
                curves,
                skipped,
                null,
                model.backend());
    }

    /** One model's curves as markdown: a heading line, the skipped cached lengths, one table per cached length. */
    public static String markdown(ModelCurve m) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "### %s: %s (%.1fM matmul weights, %.0f MB read per pass), %s, median of %d round(s)%n%n",
                m.model(),
                RandomModels.describe(m.config()),
                m.matmulParameters() / 1e6,
                m.weightBytesPerPass() / 1e6,
                m.backend(),
                m.rounds()));
        for (String s : m.skipped()) {
            out.append("- ").append(s).append('\n');
        }
        if (!m.skipped().isEmpty()) {
            out.append('\n');
        }
        if (m.arTokensPerSecond() != null) {
            // a 7B-shaped model decodes at 2-4 tokens/s: whole tokens alone would hide a 30 % difference
            String rate = m.arTokensPerSecond() >= 100 ? "%.0f" : "%.2f";
            out.append(String.format(
                    Locale.ROOT,
                    "Autoregressive greedy (100-token prompt, 128 new tokens): " + rate + " tokens/s%n%n",
                    m.arTokensPerSecond()));
        }
        for (Curve curve : m.curves()) {
            out.append(String.format("%d tokens cached:%n%n", curve.cached()));
            MarkdownTable.write(
                    out,
                    curve.points(),
                    MarkdownTable.column("new tokens", "%d", Point::newTokens),
                    MarkdownTable.column("T(n) ms", "%.2f", Point::medianMs),
                    MarkdownTable.column("T(n)/T(1)", "%.2f", Point::ratio),
                    MarkdownTable.column("roofline ms", "%.3f", Point::predictedMs),
                    MarkdownTable.column("roofline ratio", "%.2f", Point::predictedRatio),
                    MarkdownTable.column("bound", "%s", Point::bound),
                    MarkdownTable.column("T/roofline", "%.1f", Point::overRoofline));
            out.append('\n');
        }
        return out.toString();
    }
}
