package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * After every loop's truncation (chain, single pass) or compaction (tree), the cache must hold exactly the K/V that
 * a fresh prefill of the committed tokens gives (1e-5). A 10-token vocabulary makes drafts match often, so loops
 * with accepted drafts or paths are among those checked.
 */
class KvAfterAcceptanceTest {
    static final int VOCAB = 10;
    static final long SAT = VOCAB - 1;
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.model(TinyModels.config(32, 2, 4, 2, VOCAB, false, 10000), 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Stream<Arguments> decoders() {
        GenerationConfig greedy =
                GenerationConfig.builder().maxNewTokens(40).k(5).build();
        GenerationConfig sampled = greedy.toBuilder().temperature(1.0).seed(3).build();
        return Stream.of(
                Arguments.of("sdsat greedy", (AbstractDecoder) DraftVerifyDecoder.twoStep(model, SAT), greedy),
                Arguments.of("sdsat lossless T=1", DraftVerifyDecoder.twoStep(model, SAT), sampled),
                Arguments.of("sdsat-single-pass", new SdsatSinglePassDecoder(model, SAT), greedy),
                Arguments.of("sdsat-tree greedy", new SdsatTreeDecoder(model, SAT), greedy),
                Arguments.of(
                        "sdsat-tree lossless T=1",
                        new SdsatTreeDecoder(model, SAT),
                        sampled.toBuilder().k(7).build()),
                Arguments.of("lookup greedy", DraftVerifyDecoder.lookup(model), greedy),
                Arguments.of("lookup lossless T=1", DraftVerifyDecoder.lookup(model), sampled),
                Arguments.of("sdsat-chain k=5", DraftVerifyDecoder.chain(model, SAT), greedy),
                Arguments.of(
                        "sdsat-chain k=1",
                        DraftVerifyDecoder.chain(model, SAT),
                        greedy.toBuilder().k(1).build()),
                Arguments.of("sdsat-lookup k=5", DraftVerifyDecoder.chainWithLookup(model, SAT), greedy),
                Arguments.of(
                        "sdsat-lookup k=2",
                        DraftVerifyDecoder.chainWithLookup(model, SAT),
                        greedy.toBuilder().k(2).build()),
                Arguments.of(
                        "oracle-two-step",
                        (AbstractDecoder) Decoders.oracleTwoStep(
                                model,
                                new AutoregressiveDecoder(model)
                                        .generate(GreedyEquivalenceTest.prompt(6, VOCAB, 17), greedy)
                                        .outputIds()),
                        greedy));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decoders")
    void committedCacheEqualsFreshPrefill(String name, AbstractDecoder decoder, GenerationConfig config) {
        long[] prompt = GreedyEquivalenceTest.prompt(6, VOCAB, 17);
        int layers = model.config().numLayers();
        List<float[][]> keys = new ArrayList<>();
        List<float[][]> values = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        decoder.afterCommit = cache -> {
            float[][] k = new float[layers][];
            float[][] v = new float[layers][];
            for (int l = 0; l < layers; l++) {
                k[l] = cache.committedKeys(l);
                v[l] = cache.committedValues(l);
            }
            keys.add(k);
            values.add(v);
            lengths.add(cache.length());
        };
        GenerationResult r = decoder.generate(prompt, config);
        assertThat(r.stats().acceptedTokens()).as("some loop accepted drafts").isPositive();
        long[] all = new long[prompt.length + r.outputIds().length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(r.outputIds(), 0, all, prompt.length, r.outputIds().length);
        int checked = 0;
        for (int i = 0; i < lengths.size(); i++) {
            int length = lengths.get(i);
            if (length > all.length) {
                continue; // the last loop committed tokens past the stop; they were never emitted
            }
            try (KvCache fresh = model.newCache(length);
                    NDManager step = model.manager().newSubManager()) {
                model.forward(
                        step.create(Arrays.copyOf(all, length)),
                        step.create(ModelPasses.range(0, length)),
                        null,
                        fresh,
                        length - 1);
                for (int l = 0; l < layers; l++) {
                    assertClose(keys.get(i)[l], fresh.committedKeys(l), name + " keys, loop " + i + ", layer " + l);
                    assertClose(values.get(i)[l], fresh.committedValues(l), name + " values, loop " + i);
                }
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(3);
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < actual.length; i++) {
            if (Math.abs(actual[i] - expected[i]) > 1e-5) {
                throw new AssertionError(
                        what + ": element " + i + " is " + actual[i] + ", fresh prefill gives " + expected[i]);
            }
        }
    }
}
