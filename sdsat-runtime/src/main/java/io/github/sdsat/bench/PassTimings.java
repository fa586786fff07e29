package io.github.sdsat.bench;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.results.Aggregator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * T(n): the wall time of one pass of n new tokens after a given number of cached tokens (LM head on every new row,
 * argmax ids back in Java, as a verify pass needs). A reproduction run records it for its ceilings, the oracle
 * benchmark sets its rows against it, and {@link CostCurve} prints it beside the roofline.
 *
 * <p>Only the public pass API ({@link LlamaModel#argmax}, {@link LlamaModel#newCache}, {@link KvCache#truncate}) is
 * timed, so the times measure whatever backend runs underneath. Settings (cached length × new tokens) are
 * interleaved, in a fresh shuffled order every round, after one warm-up round, so that drift of a noisy shared
 * machine spreads over all of them.
 */
public final class PassTimings {
    private PassTimings() {}

    /**
     * Median ms of one pass of each width with {@code cached} tokens in the cache (random tokens; the cost does not
     * depend on them), widths interleaved in a shuffled order per round after a warm-up round.
     */
    public static Map<Integer, Double> medians(LlamaModel model, int cached, List<Integer> widths, int rounds) {
        Map<Integer, Double> out = new LinkedHashMap<>();
        samples(model, List.of(cached), widths, rounds)
                .get(cached)
                .forEach((n, samples) -> out.put(n, Aggregator.median(samples)));
        return out;
    }

    /**
     * Samples in ms by cached length, then by n; one per timed round.
     *
     * @throws IllegalArgumentException for fewer than 1 round
     */
    static Map<Integer, Map<Integer, List<Double>>> samples(
            LlamaModel model, List<Integer> cachedValues, List<Integer> newTokens, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        }
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
        return Aggregator.median(rates);
    }

    private static long[] range(long from, int n) {
        long[] p = new long[n]; // [n] positions from..from+n-1
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }
}
