package io.github.sdsat.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.LlamaParameters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How much speculative decoding can win on this machine: forward latency against the number of new tokens in the
 * pass (with a fixed number of tokens cached), and autoregressive greedy tokens per second.
 *
 * <p>Settings are interleaved round by round (not run one after another) so that drift of a noisy machine spreads
 * over all of them; medians are reported. Run: {@code mvn -pl sdsat-runtime exec:java
 * -Dexec.mainClass=io.github.sdsat.bench.ForwardLatencyBenchmark [-Dexec.args="hidden layers heads vocab"]}.
 */
public final class ForwardLatencyBenchmark {
    private static final int[] NEW_TOKENS = {1, 2, 4, 8, 16, 32, 64};

    private ForwardLatencyBenchmark() {
    }

    /** Median latency in ms per new-token count, with {@code cached} tokens in the cache. */
    public static Map<Integer, Double> latencyCurve(LlamaModel model, int cached, int rounds, int repsPerRound) {
        Random random = new Random(1);
        int vocab = model.config().vocabSize();
        Map<Integer, List<Double>> samples = new LinkedHashMap<>();
        for (int n : NEW_TOKENS) {
            samples.put(n, new ArrayList<>());
        }
        try (KvCache cache = model.newCache(cached + NEW_TOKENS[NEW_TOKENS.length - 1])) {
            long[] prefix = random.longs(cached, 0, vocab).toArray();
            try (NDManager m = model.manager().newSubManager()) {
                model.forward(m.create(prefix), m.create(range(0, cached)), null, cache, cached - 1);
            }
            for (int round = -1; round < rounds; round++) { // round -1 warms every shape up
                for (int n : NEW_TOKENS) {
                    long[] tokens = random.longs(n, 0, vocab).toArray();
                    for (int rep = 0; rep < repsPerRound; rep++) {
                        long t0 = System.nanoTime();
                        try (NDManager m = model.manager().newSubManager()) {
                            // the LM head on every new row, and the ids back in Java, as a verify pass needs
                            model.forward(m.create(tokens), m.create(range(cached, n)), null, cache)
                                    .argMax(-1).toLongArray();
                        }
                        double ms = (System.nanoTime() - t0) / 1e6;
                        cache.truncate(cached);
                        if (round >= 0) {
                            samples.get(n).add(ms);
                        }
                    }
                }
            }
        }
        Map<Integer, Double> medians = new LinkedHashMap<>();
        samples.forEach((n, s) -> medians.put(n, median(s)));
        return medians;
    }

    /** Median autoregressive greedy tokens/s (prefill included) over {@code runs} generations. */
    public static double arTokensPerSecond(LlamaModel model, int promptLength, int newTokens, int runs) {
        long[] prompt = new Random(2).longs(promptLength, 0, model.config().vocabSize()).toArray();
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
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static long[] range(long from, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }

    public static void main(String[] args) {
        io.github.sdsat.model.DjlOffline.enable(); // before the first engine call: no telemetry traffic
        int hidden = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int heads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int vocab = args.length > 3 ? Integer.parseInt(args[3]) : 4096;
        LlamaConfig config = new LlamaConfig(hidden, (int) (hidden * 2.6875), layers, heads, heads, hidden / heads,
                vocab, 1e-5, 10000, 1024, false, 0, List.of(1), "float32");
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters p = LlamaParameters.initialize(config, m, 1, 0.05);
                LlamaModel model = LlamaModel.fromSource(config, p.asWeightSource(), Device.cpu(),
                        DataType.FLOAT32)) {
            System.out.printf("config: hidden %d, intermediate %d, layers %d, heads %d, vocab %d (%.1fM params)%n",
                    hidden, config.intermediateSize(), layers, heads, vocab, config.parameterCount() / 1e6);
            Map<Integer, Double> curve = latencyCurve(model, 256, 5, 10);
            double t1 = curve.get(1);
            System.out.println("| new tokens | median ms | T(n)/T(1) |");
            System.out.println("|---|---|---|");
            curve.forEach((n, ms) -> System.out.printf("| %d | %.2f | %.2f |%n", n, ms, ms / t1));
            System.out.printf("AR greedy, 100-token prompt, 128 new tokens: %.0f tokens/s (median of 5)%n",
                    arTokensPerSecond(model, 100, 128, 5));
            System.out.println("threads: " + Arrays.toString(new String[] {
                System.getProperty("ai.djl.pytorch.num_threads", "default")}));
        }
    }
}
