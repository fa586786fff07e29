package io.github.sdsat.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Measures training throughput (tokens per second of forward + backward + AdamW) of candidate model shapes on
 * random tokens, to size the recipe by wall-clock time.
 *
 * <p>Usage: {@code TrainingThroughput hidden:layers:heads:intermediate ... [--vocab 4096] [--rows 8] [--length 256]
 * [--steps 6]}
 */
public final class TrainingThroughput {
    private TrainingThroughput() {}

    public static void main(String[] args) {
        io.github.sdsat.model.DjlOffline.enable(); // before the first engine call: no telemetry traffic
        int vocab = 4096;
        int rows = 8;
        int length = 256;
        int steps = 6;
        List<int[]> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--vocab" -> vocab = Integer.parseInt(args[++i]);
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--length" -> length = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                default -> shapes.add(io.github.sdsat.model.ShapeNotation.sizes(args[i]));
            }
        }
        for (int[] s : shapes) {
            LlamaConfig config = new LlamaConfig(
                    s[0],
                    s[3],
                    s[1],
                    s[2],
                    s[2],
                    s[0] / s[2],
                    vocab,
                    1e-5,
                    10000.0,
                    1024,
                    true,
                    0,
                    List.of(1),
                    "float32");
            System.out.printf(
                    "shape hidden=%d layers=%d heads=%d inter=%d vocab=%d params=%.2fM: %.0f tokens/s%n",
                    s[0], s[1], s[2], s[3], vocab, parameterCount(config) / 1e6, measure(config, rows, length, steps));
        }
    }

    static long parameterCount(LlamaConfig c) {
        return c.tensorShapes().values().stream()
                .mapToLong(shape -> java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b))
                .sum();
    }

    /** Median tokens/s over {@code steps} timed steps after two warm-up steps. */
    static double measure(LlamaConfig config, int rows, int length, int steps) {
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters params = LlamaParameters.initialize(config, manager, 1, 0.02);
                TrainingStep step = new TrainingStep(params);
                AdamW adam = new AdamW(
                        new AdamW.Settings(0.9, 0.95, 1e-8, 0.1, 1.0),
                        params.tensors(),
                        AdamW.decaysLinearWeightsOnly(),
                        manager)) {
            SplittableRandom random = new SplittableRandom(7);
            double[] rates = new double[steps];
            for (int i = -2; i < steps; i++) {
                int n = rows * length;
                long[] tokens = new long[n];
                long[] positions = new long[n];
                long[] targets = new long[n];
                float[] weights = new float[n];
                byte[] kinds = new byte[n];
                for (int t = 0; t < n; t++) {
                    tokens[t] = random.nextInt(config.vocabSize());
                    targets[t] = random.nextInt(config.vocabSize());
                    positions[t] = t % length;
                    weights[t] = 1f / n;
                    kinds[t] = TrainingBatch.STANDARD;
                }
                TrainingBatch batch = new TrainingBatch(rows, length, tokens, positions, null, targets, weights, kinds);
                long start = System.nanoTime();
                step.trainOn(batch, g -> adam.update(g, 1e-3));
                double seconds = (System.nanoTime() - start) / 1e9;
                if (i >= 0) {
                    rates[i] = n / seconds;
                }
            }
            java.util.Arrays.sort(rates);
            return rates[steps / 2];
        }
    }
}
