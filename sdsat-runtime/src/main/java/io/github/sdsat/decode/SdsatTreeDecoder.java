package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * SDSAT tree decoding (docs/DESIGN.md §4, the paper's nucleus mode), for greedy search and sampling. Each loop:
 * <ol>
 * <li>Draft pass over {@code [t, SAT×k]} at positions n..n+k (t at n), causal. t's row gives the root token t1
 * (argmax, or a sample from the target distribution p); SAT row d gives the ranked candidates of tree depth d: at
 * temperature 0 the top-N tokens by logit (ties: lower id first), otherwise N tokens drawn without replacement from
 * the processed draft distribution q_d. Only t's KV is kept.</li>
 * <li>One verify pass over every node of the paper's tree of depth k ({@link DraftTree#forDepth}): node tokens laid
 * out by {@link DraftTree#tokens}, the root t1 at position n+1 and a node of depth d at n+1+d, tree attention
 * mask.</li>
 * <li>A walk from the root accepts a path ({@link SpeculativeSampling#walkTree}: argmax match at temperature 0, so
 * the output equals autoregressive greedy; the paper's rule or recursive rejection sampling otherwise). The KV of
 * the root and the accepted nodes is compacted behind t's, and the token after the path becomes the next t.</li>
 * </ol>
 *
 * <p><b>Stats.</b> Per verified loop, {@code draftedTokens} grows by the tree depth k (the longest path that could
 * be accepted, not the node count) and {@code acceptedTokens} by the accepted path length below the root, so
 * {@code acceptRate} = mean accepted length / k, comparable with the chain decoder's; {@code acceptedPerPosition[d-1]}
 * counts loops whose accepted path reached depth d.
 *
 * <p>A node whose rank exceeds the number of candidates its depth could supply (top-k/top-p left fewer tokens
 * with mass than the tree has ranks) gets a filler token and is never accepted; the tree keeps its fixed shape.
 */
public final class SdsatTreeDecoder extends SatDecoder {
    public static final String NAME = "sdsat-tree";

    public SdsatTreeDecoder(LlamaModel model, long satToken) {
        // t plus the verify pass over every node of the depth-k tree, root included.
        super(model, NAME, satToken, k -> DraftTree.forDepth(k).size() + 1);
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        DraftTree tree = DraftTree.forDepth(config.k());
        int k = tree.depth();
        int vocab = passes.vocab;
        boolean greedy = config.isGreedy();
        SplittableRandom random = new SplittableRandom(config.seed());
        long t = nextToken(cache, prompt, ModelPasses.range(0, prompt.length), config, random);
        counters.prefillDone();
        int n = prompt.length; // position of t, whose KV is not yet computed
        if (!out.emit(t)) {
            return;
        }
        long[] draftInput = new long[k + 1];
        long[][] candidates = new long[k][];
        double[][] draftDistributions = new double[k][];
        boolean[] present = new boolean[tree.size()];
        while (true) {
            counters.loops++;
            float[] draft = satDraftLogits(cache, draftInput, t, n); // [k + 1, vocab]
            long root = choose(draft, 0, vocab, config, random);
            if (!out.emit(root)) {
                return;
            }
            for (int d = 1; d <= k; d++) {
                int needed = tree.candidatesNeededAtDepth(d);
                if (greedy) {
                    candidates[d - 1] = topByLogit(draft, d * vocab, vocab, needed);
                } else {
                    draftDistributions[d - 1] = Sampler.distribution(draft, d * vocab, vocab, config);
                    int[] drawn = Sampler.sampleWithoutReplacement(draftDistributions[d - 1], needed, random);
                    candidates[d - 1] = Arrays.stream(drawn).asLongStream().toArray();
                }
            }
            long[] tokens = layOut(tree, root, candidates, present);
            int cached = n + 1; // t's KV is committed; the root sits at n + 1
            long[] positions = tree.positions(cached);
            float[] mask = tree.attentionMask(cached);
            SpeculativeSampling.TreeOutcome outcome;
            if (greedy) { // only the argmax of each node is needed: computed on the tensor side
                long[] best = passes.argmax(cache, tokens, positions, mask, 0);
                outcome = SpeculativeSampling.walkGreedy(tree, tokens, present, best);
            } else {
                float[] verify = passes.logits(cache, tokens, positions, mask, 0);
                outcome = SpeculativeSampling.walkTree(
                        tree, tokens, present, verify, vocab, draftDistributions, candidates, config, random);
            }
            int[] path = outcome.acceptedNodes();
            counters.verified(k, path.length);
            int[] slots = new int[path.length + 1];
            slots[0] = cached; // the root
            for (int i = 0; i < path.length; i++) {
                slots[i + 1] = cached + path[i];
            }
            cache.compact(cached, slots);
            committed(cache);
            for (int node : path) {
                if (!out.emitAcceptedDraft(tokens[node])) {
                    return;
                }
            }
            n += 2 + path.length;
            t = outcome.next();
            if (!out.emit(t)) {
                return;
            }
        }
    }

    /**
     * Node tokens of the tree for a root and the ranked candidates of each depth (index d-1), which may hold fewer
     * candidates than the tree has ranks. A missing rank gets a filler token (the depth's rank-0 candidate) and is
     * marked absent in {@code present}, together with its subtree, so that it is never accepted.
     */
    static long[] layOut(DraftTree tree, long root, long[][] candidates, boolean[] present) {
        int k = tree.depth();
        long[][] full = new long[k][];
        for (int d = 1; d <= k; d++) {
            long[] ranked = candidates[d - 1];
            if (ranked.length == 0) {
                throw new IllegalArgumentException("no candidate at depth " + d + ": the draft distribution is empty");
            }
            int needed = tree.candidatesNeededAtDepth(d);
            full[d - 1] = Arrays.copyOf(ranked, Math.max(needed, ranked.length));
            Arrays.fill(full[d - 1], Math.min(ranked.length, needed), needed, ranked[0]);
        }
        present[0] = true;
        for (int node = 1; node < tree.size(); node++) {
            present[node] =
                    present[tree.parentOf(node)] && tree.rankOf(node) < candidates[tree.depthOf(node) - 1].length;
        }
        return tree.tokens(root, full);
    }

    private static long choose(
            float[] logits, int offset, int vocab, GenerationConfig config, SplittableRandom random) {
        if (config.isGreedy()) {
            return io.github.sdsat.model.Argmax.of(logits, offset, vocab);
        }
        return Sampler.sample(Sampler.distribution(logits, offset, vocab, config), random);
    }

    /** The {@code n} largest logits' ids, largest first, lower id first on ties (at most vocab ids). */
    static long[] topByLogit(float[] logits, int offset, int vocab, int n) {
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(logits[offset + b], logits[offset + a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        long[] top = new long[Math.min(n, vocab)];
        for (int i = 0; i < top.length; i++) {
            top[i] = order[i];
        }
        return top;
    }
}
