package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The acceptance rules on a synthetic language model (logits a fixed pseudo-random function of the context), fast
 * enough for 10^5 generations: the joint distribution of the first L tokens produced by one draft/verify loop
 * followed by plain autoregressive sampling must equal autoregressive sampling exactly under {@code lossless}. Draft
 * distributions depend only on the context before the loop (like SAT rows), so they differ from the target.
 */
class SpeculativeSamplingTest {
    static final int VOCAB = 5;
    static final int LENGTH = 6;
    static final long[] PROMPT = {3, 1};

    /** Synthetic model: logits of the next token after a context, memoised. */
    static final class SyntheticModel {
        final long salt;
        final Map<Long, float[]> memo = new HashMap<>();

        SyntheticModel(long salt) {
            this.salt = salt;
        }

        final Map<GenerationConfig, Map<Long, double[]>> targets = new java.util.IdentityHashMap<>();

        static long key(long[] context) {
            long key = 1; // tokens in base 16, offset by 8 (draft keys use negative tokens); contexts stay short
            for (long token : context) {
                key = key * 16 + token + 8;
            }
            return key;
        }

        float[] logits(long[] context) {
            return memo.computeIfAbsent(key(context), x -> {
                SplittableRandom r = new SplittableRandom(x * 0x9E3779B97F4A7C15L + salt);
                float[] l = new float[VOCAB];
                for (int i = 0; i < VOCAB; i++) {
                    l[i] = (float) (1.6 * r.nextGaussian());
                }
                return l;
            });
        }

        double[] target(long[] context, GenerationConfig c) {
            return targets.computeIfAbsent(c, x -> new HashMap<>())
                    .computeIfAbsent(key(context), x -> Sampler.distribution(logits(context), 0, VOCAB, c));
        }
    }

    static long[] concat(long[] a, long... b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Exact probability of every sequence of LENGTH tokens after PROMPT under autoregressive sampling. */
    static Map<Long, Double> exact(SyntheticModel m, GenerationConfig c) {
        Map<Long, Double> out = new HashMap<>();
        enumerate(m, c, new long[0], 1.0, out);
        return out;
    }

    private static void enumerate(
            SyntheticModel m, GenerationConfig c, long[] prefix, double prob, Map<Long, Double> out) {
        if (prefix.length == LENGTH) {
            out.put(DistributionCheck.key(prefix, LENGTH, VOCAB), prob);
            return;
        }
        double[] p = m.target(concat(PROMPT, prefix), c);
        for (int x = 0; x < VOCAB; x++) {
            if (p[x] > 0) {
                enumerate(m, c, concat(prefix, x), prob * p[x], out);
            }
        }
    }

    /** Completes a loop's output to LENGTH tokens by autoregressive sampling. */
    static long[] complete(SyntheticModel m, GenerationConfig c, long[] produced, SplittableRandom random) {
        long[] seq = Arrays.copyOf(produced, Math.max(LENGTH, produced.length));
        for (int i = produced.length; i < LENGTH; i++) {
            seq[i] = Sampler.sample(m.target(concat(PROMPT, Arrays.copyOf(seq, i)), c), random);
        }
        return seq;
    }

    /** Draft distribution q_d of draft depth d (d = 1 drafts the token after the root). */
    interface Drafter {
        double[] q(long root, int d, GenerationConfig c);
    }

    /** Drafts unrelated to the target: depend on the pre-loop context only, as a poorly trained SAT row. */
    static Drafter independent(SyntheticModel draftModel) {
        return (root, d, c) -> draftModel.target(concat(PROMPT, -d), c);
    }

    /**
     * Good drafts: the target's distribution along its own greedy continuation of the root, so deep paths are
     * accepted often. (q may depend on anything fixed before the candidates are drawn, the root included.)
     */
    static Drafter alongGreedyPath(SyntheticModel m) {
        return (root, d, c) -> {
            long[] context = concat(PROMPT, root);
            for (int i = 1; i < d; i++) {
                context = concat(context, io.github.sdsat.model.Argmax.of(m.logits(context), 0, VOCAB));
            }
            return m.target(context, c);
        };
    }

    static long[] chainOnce(SyntheticModel m, Drafter drafter, GenerationConfig c, int k, SplittableRandom random) {
        long root = Sampler.sample(m.target(PROMPT, c), random);
        long[] drafts = new long[k];
        double[][] q = new double[k][];
        for (int j = 0; j < k; j++) {
            q[j] = drafter.q(root, j + 1, c);
            drafts[j] = Sampler.sample(q[j], random);
        }
        float[] verify = new float[(k + 1) * VOCAB];
        long[] context = concat(PROMPT, root);
        for (int j = 0; j <= k; j++) {
            System.arraycopy(m.logits(context), 0, verify, j * VOCAB, VOCAB);
            if (j < k) {
                context = concat(context, drafts[j]);
            }
        }
        SpeculativeSampling.ChainOutcome o = SpeculativeSampling.verifyChain(drafts, q, verify, VOCAB, c, random);
        long[] produced = concat(new long[] {root}, Arrays.copyOf(drafts, o.accepted()));
        return complete(m, c, concat(produced, o.next()), random);
    }

    static long[] treeOnce(
            SyntheticModel m, Drafter drafter, GenerationConfig c, DraftTree tree, SplittableRandom random) {
        return treeOnce(m, drafter, c, tree, random, null);
    }

    /** @param acceptedLengths when not null, counts loops by accepted path length */
    static long[] treeOnce(
            SyntheticModel m,
            Drafter drafter,
            GenerationConfig c,
            DraftTree tree,
            SplittableRandom random,
            long[] acceptedLengths) {
        long root = Sampler.sample(m.target(PROMPT, c), random);
        int k = tree.depth();
        long[][] candidates = new long[k][];
        double[][] q = new double[k][];
        for (int d = 1; d <= k; d++) {
            q[d - 1] = drafter.q(root, d, c);
            candidates[d - 1] = Arrays.stream(
                            Sampler.sampleWithoutReplacement(q[d - 1], tree.candidatesNeededAtDepth(d), random))
                    .asLongStream()
                    .toArray();
        }
        boolean[] present = new boolean[tree.size()];
        long[] tokens = SdsatTreeDecoder.layOut(tree, root, candidates, present);
        float[] logits = new float[tree.size() * VOCAB];
        long[][] contexts = new long[tree.size()][];
        for (int node = 0; node < tree.size(); node++) {
            contexts[node] = concat(node == 0 ? PROMPT : contexts[tree.parentOf(node)], tokens[node]);
            System.arraycopy(m.logits(contexts[node]), 0, logits, node * VOCAB, VOCAB);
        }
        SpeculativeSampling.TreeOutcome o =
                SpeculativeSampling.walkTree(tree, tokens, present, logits, VOCAB, q, candidates, c, random);
        if (acceptedLengths != null) {
            acceptedLengths[o.acceptedNodes().length]++;
        }
        long[] produced = {root};
        for (int node : o.acceptedNodes()) {
            assertThat(present[node]).isTrue();
            produced = concat(produced, tokens[node]);
        }
        return complete(m, c, concat(produced, o.next()), random);
    }

    interface Generator {
        long[] once(SplittableRandom random);
    }

    static DistributionCheck run(Map<Long, Double> exact, int n, long seed, Generator g) {
        return DistributionCheck.compare(exact, counts(n, seed, g), n);
    }

    static Map<Long, Integer> counts(int n, long seed, Generator g) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<Long, Integer> counts = DistributionCheck.newCounts();
        for (int i = 0; i < n; i++) {
            DistributionCheck.add(counts, DistributionCheck.key(g.once(random), LENGTH, VOCAB));
        }
        return counts;
    }

    static final GenerationConfig PLAIN =
            GenerationConfig.builder().temperature(1.0).build();
    static final GenerationConfig TRUNCATED =
            GenerationConfig.builder().temperature(0.8).topK(4).topP(0.9).build();
    static final int N = 100_000;

    @Test
    void losslessChainAndTreeMatchAutoregressiveSampling() {
        SyntheticModel m = new SyntheticModel(11);
        Drafter draftModel = independent(new SyntheticModel(12));
        for (GenerationConfig c : new GenerationConfig[] {PLAIN, TRUNCATED}) {
            Map<Long, Double> exact = exact(m, c);
            DistributionCheck chain = run(exact, N, 1, r -> chainOnce(m, draftModel, c, 3, r));
            DistributionCheck tree = run(exact, N, 2, r -> treeOnce(m, draftModel, c, DraftTree.forDepth(5), r));
            DistributionCheck ar = run(exact, N, 3, r -> complete(m, c, new long[0], r));
            System.out.printf("synthetic %s%n  ar    %s%n  chain %s%n  tree  %s%n", c, ar, chain, tree);
            assertThat(ar.passes()).as("AR sampling itself: %s", ar).isTrue();
            assertThat(chain.passes()).as("lossless chain: %s", chain).isTrue();
            assertThat(tree.passes()).as("lossless tree: %s", tree).isTrue();
        }
    }

    /** The tree decoder with a self-drafting model (q = p) accepts deep paths: the walk really goes deep. */
    @Test
    void losslessTreeIsExactWhenDraftsAreGood() {
        SyntheticModel m = new SyntheticModel(21);
        GenerationConfig c = PLAIN;
        Map<Long, Double> exact = exact(m, c);
        Drafter draftModel = alongGreedyPath(m);
        long[] acceptedLengths = new long[8];
        DistributionCheck tree =
                run(exact, N / 2, 4, r -> treeOnce(m, draftModel, c, DraftTree.forDepth(7), r, acceptedLengths));
        DistributionCheck chain = run(exact, N / 2, 7, r -> chainOnce(m, draftModel, c, 4, r));
        System.out.printf("synthetic good drafts%n  chain %s%n  tree  %s%n", chain, tree);
        assertThat(chain.passes()).as("lossless chain: %s", chain).isTrue();
        assertThat(tree.passes()).as("lossless tree: %s", tree).isTrue();
        System.out.println("  accepted path lengths " + Arrays.toString(acceptedLengths));
        assertThat(acceptedLengths[4] + acceptedLengths[5] + acceptedLengths[6] + acceptedLengths[7])
                .as("deep paths accepted (LENGTH %d tokens cover depth 4 and beyond via the bonus)", LENGTH)
                .isGreaterThan(N / 100);
    }

    @Test
    void paperRuleIsExactInAChainButBiasedInATree() {
        SyntheticModel m = new SyntheticModel(11);
        Drafter draftModel = alongGreedyPath(m);
        GenerationConfig c = PLAIN.toBuilder().sampling(SamplingMode.PAPER).build();
        Map<Long, Double> exact = exact(m, c);
        DistributionCheck chain = run(exact, N, 5, r -> chainOnce(m, draftModel, c, 3, r));
        Map<Long, Integer> paperCounts = counts(N, 6, r -> treeOnce(m, draftModel, c, DraftTree.forDepth(5), r));
        DistributionCheck tree = DistributionCheck.compare(exact, paperCounts, N);
        Map<Long, Integer> losslessCounts = counts(N, 8, r -> treeOnce(m, draftModel, PLAIN, DraftTree.forDepth(5), r));
        System.out.printf("synthetic paper %s%n  chain %s%n  tree  %s%n", c, chain, tree);
        for (int prefix = 1; prefix <= 3; prefix++) {
            System.out.printf(
                    "  first %d tokens: paper tree %s%n                  lossless tree %s%n",
                    prefix,
                    DistributionCheck.comparePrefix(exact, paperCounts, N, VOCAB, prefix),
                    DistributionCheck.comparePrefix(exact, losslessCounts, N, VOCAB, prefix));
        }
        assertThat(chain.passes()).as("paper chain: %s", chain).isTrue();
        assertThat(tree.passes())
                .as("paper tree is expected to be biased: %s", tree)
                .isFalse();
    }

    /**
     * The point-mass path of verifyChain (null draft distributions) against dense one-hot rows, on random targets
     * (some truncated by top-k) and random drafts: same outcome and same random draws consumed, for every seed.
     */
    @Test
    void pointMassPathEqualsOneHotRows() {
        int vocab = 7;
        int k = 4;
        GenerationConfig c = GenerationConfig.builder()
                .temperature(1.0)
                .topK(3)
                .sampling(SamplingMode.LOSSLESS)
                .build();
        SplittableRandom inputs = new SplittableRandom(11);
        int rejected = 0;
        for (int trial = 0; trial < 2000; trial++) {
            float[] logits = new float[(k + 1) * vocab];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (3 * inputs.nextDouble());
            }
            long[] drafts = new long[k];
            double[][] oneHot = new double[k][vocab];
            for (int j = 0; j < k; j++) {
                drafts[j] = inputs.nextInt(vocab);
                oneHot[j][(int) drafts[j]] = 1.0;
            }
            SplittableRandom dense = new SplittableRandom(trial);
            SplittableRandom point = new SplittableRandom(trial);
            SpeculativeSampling.ChainOutcome expected =
                    SpeculativeSampling.verifyChain(drafts, oneHot, logits, vocab, c, dense);
            SpeculativeSampling.ChainOutcome actual =
                    SpeculativeSampling.verifyChain(drafts, null, logits, vocab, c, point);
            assertThat(actual).as("trial %d", trial).isEqualTo(expected);
            assertThat(point.nextLong()).as("draws consumed, trial %d", trial).isEqualTo(dense.nextLong());
            rejected += expected.accepted() < k ? 1 : 0;
        }
        assertThat(rejected).as("trials with a rejection").isGreaterThan(1000);
        double[] p = {0.5, 0.3, 0.2, 0};
        assertThat(SpeculativeSampling.residualOfPointMass(p, 0))
                .containsExactly(new double[] {0, 0.6, 0.4, 0}, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(SpeculativeSampling.residualOfPointMass(new double[] {1, 0, 0}, 0))
                .containsExactly(1, 0, 0);
    }

    @Test
    void residualAndRenormalisation() {
        double[] p = {0.5, 0.3, 0.2, 0};
        double[] q = {0.2, 0.6, 0.1, 0.1};
        assertThat(SpeculativeSampling.residual(p, q))
                .containsExactly(new double[] {0.75, 0, 0.25, 0}, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(SpeculativeSampling.residual(p, p)).isSameAs(p);
        assertThat(SpeculativeSampling.without(q, 1))
                .containsExactly(new double[] {0.5, 0, 0.25, 0.25}, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void wilsonHilfertyMatchesTabulatedQuantiles() {
        // chi-square upper 1e-4 quantiles: df 10 -> 35.564, df 100 -> 161.32 (tables)
        assertThat(DistributionCheck.chiSquareCritical(10, DistributionCheck.Z_ALPHA_1E4))
                .isCloseTo(35.56, org.assertj.core.data.Offset.offset(0.6));
        assertThat(DistributionCheck.chiSquareCritical(100, DistributionCheck.Z_ALPHA_1E4))
                .isCloseTo(161.32, org.assertj.core.data.Offset.offset(0.6));
    }
}
