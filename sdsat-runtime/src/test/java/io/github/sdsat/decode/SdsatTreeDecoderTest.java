package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** sdsat-tree: greedy output equals autoregressive greedy; KV after compaction equals a fresh prefill. */
class SdsatTreeDecoderTest {
    static LlamaModel model;
    static final int VOCAB = 10;
    static final long SAT = VOCAB - 1;

    @BeforeAll
    static void load() {
        model = TinyModels.model(TinyModels.config(32, 2, 4, 2, VOCAB, false, 10000), 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void greedyTreeEqualsArGreedy() {
        long accepted = 0;
        long offRankZero = 0;
        for (int seed = 0; seed < 4; seed++) {
            long[] prompt = GreedyEquivalenceTest.prompt(3 + 5 * seed, VOCAB, 100 + seed);
            GenerationConfig base = GenerationConfig.builder().maxNewTokens(48).build();
            long[] expected =
                    new AutoregressiveDecoder(model).generate(prompt, base).outputIds();
            for (int depth : new int[] {5, 7}) {
                SdsatTreeDecoder tree = new SdsatTreeDecoder(model, SAT);
                GenerationResult r =
                        tree.generate(prompt, base.toBuilder().k(depth).build());
                assertThat(r.outputIds()).as("seed %d depth %d", seed, depth).containsExactly(expected);
                assertThat(r.stopReason()).isEqualTo("length");
                GenerationStats s = r.stats();
                assertThat(s.draftedTokens()).isBetween((long) depth * (s.loops() - 1), (long) depth * s.loops());
                assertThat(Arrays.stream(s.acceptedPerPosition()).sum()).isEqualTo(s.acceptedTokens());
                assertThat(s.acceptedPerPosition()).hasSize(depth);
                // one prefill + at most two passes per loop, each loop emitting root + accepted + bonus
                assertThat(s.forwardPasses()).isLessThanOrEqualTo(1 + 2 * s.loops());
                accepted += s.acceptedTokens();
            }
        }
        assertThat(accepted)
                .as("a 10-token vocabulary accepts tree drafts by chance")
                .isPositive();
    }

    @Test
    void stopTokenAndLengthAtManyPositions() {
        long[] prompt = GreedyEquivalenceTest.prompt(4, VOCAB, 5);
        long[] free = new AutoregressiveDecoder(model)
                .generate(prompt, GenerationConfig.greedy(30))
                .outputIds();
        for (int stopAt = 0; stopAt < 14; stopAt++) {
            long eos = free[stopAt];
            int first = 0;
            while (free[first] != eos) {
                first++;
            }
            for (int depth : new int[] {5, 7}) {
                GenerationConfig byEos = GenerationConfig.builder()
                        .maxNewTokens(30)
                        .k(depth)
                        .stopTokenIds(eos)
                        .build();
                GenerationResult r = new SdsatTreeDecoder(model, SAT).generate(prompt, byEos);
                assertThat(r.outputIds())
                        .as("eos %d depth %d", eos, depth)
                        .containsExactly(Arrays.copyOf(free, first + 1));
                assertThat(r.stopReason()).isEqualTo("eos");
                GenerationConfig byLength = GenerationConfig.builder()
                        .maxNewTokens(stopAt + 1)
                        .k(depth)
                        .build();
                GenerationResult rl = new SdsatTreeDecoder(model, SAT).generate(prompt, byLength);
                assertThat(rl.outputIds()).containsExactly(Arrays.copyOf(free, stopAt + 1));
                assertThat(rl.stopReason()).isEqualTo("length");
            }
        }
    }

    @Test
    void topByLogitBreaksTiesByLowerId() {
        float[] logits = {0, 3, 1, 3, 2, -1};
        assertThat(SdsatTreeDecoder.topByLogit(logits, 0, 6, 4)).containsExactly(1, 3, 4, 2);
        assertThat(SdsatTreeDecoder.topByLogit(logits, 2, 3, 5)).containsExactly(1, 2, 0);
    }

    @Test
    void missingRanksAreLaidOutAsAbsentNodes() {
        DraftTree tree = DraftTree.forDepth(5);
        long[][] candidates = {{4, 2}, {7, 1, 3}, {5}, {6, 8, 0}, {2, 3, 1}};
        boolean[] present = new boolean[tree.size()];
        long[] tokens = SdsatTreeDecoder.layOut(tree, 9, candidates, present);
        assertThat(tokens[0]).isEqualTo(9);
        for (int node = 1; node < tree.size(); node++) {
            int[] ranks = tree.rankPath(node);
            boolean expected = true;
            for (int d = 0; d < ranks.length; d++) {
                expected &= ranks[d] < candidates[d].length;
            }
            assertThat(present[node])
                    .as("node %d %s", node, Arrays.toString(ranks))
                    .isEqualTo(expected);
            if (present[node]) {
                assertThat(tokens[node]).isEqualTo(candidates[ranks.length - 1][ranks[ranks.length - 1]]);
            }
        }
    }

    @Test
    void refusesBadConfigsClearly() {
        SdsatTreeDecoder tree = new SdsatTreeDecoder(model, SAT);
        assertThatThrownBy(() -> tree.generate(
                        new long[] {1}, GenerationConfig.builder().k(6).build()))
                .hasMessageContaining("sdsat-tree")
                .hasMessageContaining("[5, 7, 9, 11, 13]")
                .hasMessageContaining("k = 6");
        assertThatThrownBy(() -> new SdsatSinglePassDecoder(model, SAT)
                        .generate(
                                new long[] {1},
                                GenerationConfig.builder().k(3).temperature(0.7).build()))
                .hasMessageContaining("greedy only")
                .hasMessageContaining("sdsat-tree");
        assertThatThrownBy(() -> new SdsatTreeDecoder(model, VOCAB)).hasMessageContaining("outside the vocabulary");
        assertThat(Decoders.names()).contains("sdsat-tree");
        assertThat(Decoders.create("sdsat-tree", model, SAT).name()).isEqualTo("sdsat-tree");
        assertThatThrownBy(() -> Decoders.create("sdsat-tree", model, -1)).hasMessageContaining("needs a SAT token");
        // sampling configs run for sdsat and sdsat-tree
        GenerationConfig sampled = GenerationConfig.builder()
                .maxNewTokens(12)
                .k(5)
                .temperature(0.9)
                .topP(0.95)
                .seed(4)
                .build();
        for (String name : List.of("sdsat", "sdsat-tree")) {
            for (SamplingMode mode : SamplingMode.values()) {
                GenerationResult r = Decoders.create(name, model, SAT)
                        .generate(
                                new long[] {1, 2},
                                sampled.toBuilder().sampling(mode).build());
                assertThat(r.outputIds()).as("%s %s", name, mode).hasSize(12);
                GenerationResult again = Decoders.create(name, model, SAT)
                        .generate(
                                new long[] {1, 2},
                                sampled.toBuilder().sampling(mode).build());
                assertThat(again.outputIds()).as("seeded: reproducible").containsExactly(r.outputIds());
            }
        }
    }
}
