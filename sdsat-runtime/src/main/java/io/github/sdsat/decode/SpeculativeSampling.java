package io.github.sdsat.decode;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Acceptance rules for sampled drafts (docs/DESIGN.md §4), on processed distributions ({@link Sampler#distribution}),
 * kept apart from the forward passes so that they can be checked statistically on synthetic distributions.
 *
 * <p>Two rules exist ({@link SamplingMode}):
 * <ul>
 * <li>{@code LOSSLESS}: speculative sampling (Leviathan et al. 2023; Chen et al. 2023). A draft {@code d ~ q} is
 * accepted with probability {@code min(1, p(d)/q(d))}; on rejection the token comes from
 * {@code norm(max(0, p - q))}. In a tree, the ranked siblings are drawn <em>without replacement</em> from q, so
 * they are tested in rank order by recursive rejection sampling (Jeon et al. 2024): after sibling x is rejected
 * the target becomes the residual {@code norm(max(0, p - q))} and the proposal becomes q without x, renormalised,
 * which is exactly the distribution the next sibling was drawn from. Each step is a speculative-sampling step for
 * its own (target, proposal) pair, so by induction the token that leaves a node has distribution p.</li>
 * <li>{@code PAPER}: the official SDSAT code's rule. In a chain: accept when an independent sample from p equals
 * the draft, and on a mismatch that sample is the next token (this chain rule is distribution-preserving: the
 * emitted token is always the sample from p). In a tree: every root-to-leaf path draws its own samples, a path's
 * accepted length is its longest prefix whose tokens equal those samples, the longest path wins, and the next
 * token is a fresh sample from p at its last accepted node. A node shared by several paths therefore gets several
 * independent tries, which biases the output towards drafted tokens (measured in docs/sampling.md).</li>
 * </ul>
 */
final class SpeculativeSampling {
    private SpeculativeSampling() {}

    /** Outcome of verifying a chain of drafts: the first {@code accepted} drafts stand and {@code next} follows. */
    record ChainOutcome(int accepted, long next) {}

    /** Outcome of a tree walk: accepted nodes below the root in depth order, and the token that follows them. */
    record TreeOutcome(int[] acceptedNodes, long next) {}

    /**
     * Greedy acceptance of a chain: how many leading drafts equal the target's argmax at their position, i.e.
     * {@code drafts[draftsFrom + i] == targets[i]} for i below the result (at most {@code count}). The target after
     * the accepted drafts, {@code targets[result]}, is the next token, so the output equals autoregressive greedy
     * decoding. The one greedy rule of every chain decoder (two-step, single-pass, draft-verify).
     *
     * @param targets argmax of each verify row: targets[i] follows the first i drafts
     */
    static int greedyPrefix(long[] drafts, int draftsFrom, long[] targets, int count) {
        int accepted = 0;
        while (accepted < count && drafts[draftsFrom + accepted] == targets[accepted]) {
            accepted++;
        }
        return accepted;
    }

    /**
     * Verifies sampled drafts of a chain.
     *
     * @param drafts drafts[j] was drawn from {@code draftDistributions[j]}
     * @param draftDistributions [drafts.length][vocab], or null when every draft is a point mass (a deterministic
     *     drafter such as prompt lookup; vLLM's {@code draft_probs=None}): draft d is then accepted with probability
     *     p(d), and a rejection samples p with d removed, renormalised, which is {@code norm(max(0, p - onehot(d)))}
     *     without building the one-hot row
     * @param targetLogits {@code drafts.length + 1} rows of {@code vocab} logits: row j is the target for drafts[j],
     *     the last row the target after all drafts (the bonus)
     */
    static ChainOutcome verifyChain(
            long[] drafts,
            double[][] draftDistributions,
            float[] targetLogits,
            int vocab,
            GenerationConfig config,
            SplittableRandom random) {
        for (int j = 0; j < drafts.length; j++) {
            double[] p = Sampler.distribution(targetLogits, j * vocab, vocab, config);
            int d = (int) drafts[j];
            if (config.sampling() == SamplingMode.PAPER) {
                int x = Sampler.sample(p, random);
                if (x != d) {
                    return new ChainOutcome(j, x);
                }
            } else if (draftDistributions == null) {
                if (!accepts(p[d], 1.0, random)) {
                    return new ChainOutcome(j, Sampler.sample(residualOfPointMass(p, d), random));
                }
            } else {
                double[] q = draftDistributions[j];
                if (!accepts(p[d], q[d], random)) {
                    return new ChainOutcome(j, Sampler.sample(residual(p, q), random));
                }
            }
        }
        int last = drafts.length;
        return new ChainOutcome(
                drafts.length, Sampler.sample(Sampler.distribution(targetLogits, last * vocab, vocab, config), random));
    }

    /**
     * Walks a verified draft tree from the root.
     *
     * @param nodeTokens token of every node (the root's included)
     * @param present whether a node holds a real candidate: a node whose rank is beyond the candidates its depth's
     *     distribution could supply (top-k/top-p leaves fewer tokens than the tree has ranks) carries a filler token
     *     and must never be accepted
     * @param logits {@code tree.size()} rows of {@code vocab} target logits, row i = the verify output at node i
     * @param draftDistributions processed draft distribution of depth d at index d-1 (unused at temperature 0)
     * @param candidates ranked candidates of depth d at index d-1, in the order they were drawn
     */
    static TreeOutcome walkTree(
            DraftTree tree,
            long[] nodeTokens,
            boolean[] present,
            float[] logits,
            int vocab,
            double[][] draftDistributions,
            long[][] candidates,
            GenerationConfig config,
            SplittableRandom random) {
        if (config.isGreedy()) {
            long[] best = new long[tree.size()];
            for (int node = 0; node < best.length; node++) {
                best[node] = io.github.sdsat.model.Argmax.of(logits, node * vocab, vocab);
            }
            return walkGreedy(tree, nodeTokens, present, best);
        }
        if (config.sampling() == SamplingMode.PAPER) {
            return walkPaper(tree, nodeTokens, present, logits, vocab, config, random);
        }
        return walkLossless(tree, present, logits, vocab, draftDistributions, candidates, config, random);
    }

    /**
     * Follows the child whose token is the target argmax ({@code best[node]}): output equals autoregressive greedy
     * decoding. Candidates of one depth are distinct, so at most one child matches.
     */
    static TreeOutcome walkGreedy(DraftTree tree, long[] nodeTokens, boolean[] present, long[] best) {
        int[] path = new int[tree.depth()];
        int accepted = 0;
        int node = 0;
        while (true) {
            int next = -1;
            for (int child : tree.children(node)) {
                if (present[child] && nodeTokens[child] == best[node]) {
                    next = child;
                    break;
                }
            }
            if (next < 0) {
                return new TreeOutcome(Arrays.copyOf(path, accepted), best[node]);
            }
            path[accepted++] = next;
            node = next;
        }
    }

    /**
     * Recursive rejection sampling over ranked siblings drawn without replacement. At a node, the candidates of
     * the next depth are tested in the order they were drawn, up to the largest rank among the node's children. A
     * tested candidate that has no node under this parent (possible only for trees whose children are not a rank
     * prefix) can still be accepted: it is then the next token, and the walk ends.
     */
    private static TreeOutcome walkLossless(
            DraftTree tree,
            boolean[] present,
            float[] logits,
            int vocab,
            double[][] draftDistributions,
            long[][] candidates,
            GenerationConfig config,
            SplittableRandom random) {
        int[] path = new int[tree.depth()];
        int accepted = 0;
        int node = 0;
        walk:
        while (true) {
            double[] p = Sampler.distribution(logits, node * vocab, vocab, config);
            int[] children = tree.children(node);
            int maxRank = -1;
            for (int child : children) {
                if (present[child]) {
                    maxRank = Math.max(maxRank, tree.rankOf(child));
                }
            }
            if (maxRank >= 0) {
                int depth = tree.depthOf(node) + 1;
                long[] ranked = candidates[depth - 1];
                double[] q = draftDistributions[depth - 1];
                for (int rank = 0; rank <= maxRank && rank < ranked.length; rank++) {
                    int x = (int) ranked[rank];
                    if (accepts(p[x], q[x], random)) {
                        int child = childWithRank(tree, children, rank);
                        if (child < 0 || !present[child]) {
                            return new TreeOutcome(Arrays.copyOf(path, accepted), x);
                        }
                        path[accepted++] = child;
                        node = child;
                        continue walk;
                    }
                    p = residual(p, q);
                    q = without(q, x);
                }
            }
            return new TreeOutcome(Arrays.copyOf(path, accepted), Sampler.sample(p, random));
        }
    }

    /**
     * The official SDSAT rule: an independent sample from the target per (root-to-leaf path, depth); each path
     * accepts its longest prefix matching its samples; the first longest path wins; the next token is a fresh
     * sample at its last accepted node. Padded path entries ({@link DraftTree#PAD}) are never read as nodes.
     */
    private static TreeOutcome walkPaper(
            DraftTree tree,
            long[] nodeTokens,
            boolean[] present,
            float[] logits,
            int vocab,
            GenerationConfig config,
            SplittableRandom random) {
        double[][] target = new double[tree.size()][];
        int[] bestPath = null;
        int bestLength = -1;
        for (int[] leafPath : tree.leafPaths()) {
            int length = 0;
            while (length + 1 < leafPath.length
                    && leafPath[length + 1] != DraftTree.PAD
                    && present[leafPath[length + 1]]) {
                int from = leafPath[length];
                if (target[from] == null) {
                    target[from] = Sampler.distribution(logits, from * vocab, vocab, config);
                }
                if (Sampler.sample(target[from], random) != nodeTokens[leafPath[length + 1]]) {
                    break;
                }
                length++;
            }
            if (length > bestLength) {
                bestLength = length;
                bestPath = leafPath;
            }
        }
        int last = bestPath[bestLength];
        if (target[last] == null) {
            target[last] = Sampler.distribution(logits, last * vocab, vocab, config);
        }
        return new TreeOutcome(Arrays.copyOfRange(bestPath, 1, bestLength + 1), Sampler.sample(target[last], random));
    }

    private static int childWithRank(DraftTree tree, int[] children, int rank) {
        for (int child : children) {
            if (tree.rankOf(child) == rank) {
                return child;
            }
        }
        return -1;
    }

    /** Accepts with probability min(1, p/q); q &gt; 0 because the draft was drawn from q. */
    static boolean accepts(double p, double q, SplittableRandom random) {
        return random.nextDouble() * q < p;
    }

    /**
     * norm(max(0, p - q)): the distribution to sample after rejecting a draft from q. When p and q agree (then a
     * rejection cannot happen in exact arithmetic, only through rounding) p itself is returned.
     */
    static double[] residual(double[] p, double[] q) {
        double[] r = new double[p.length];
        double mass = 0;
        for (int i = 0; i < p.length; i++) {
            double v = p[i] - q[i];
            if (v > 0) {
                r[i] = v;
                mass += v;
            }
        }
        return mass > 1e-12 ? dividedBy(r, mass) : p;
    }

    /**
     * {@link #residual} of p against a point mass on {@code draft}, without the one-hot row: p with the draft removed,
     * renormalised, summed in the same order with the same guard, so it is bit-identical to
     * {@code residual(p, onehot(draft))}.
     */
    static double[] residualOfPointMass(double[] p, int draft) {
        double[] r = new double[p.length];
        double mass = 0;
        for (int i = 0; i < p.length; i++) {
            if (i != draft && p[i] > 0) {
                r[i] = p[i];
                mass += p[i];
            }
        }
        return mass > 1e-12 ? dividedBy(r, mass) : p;
    }

    /** q with {@code token} removed and renormalised: what the next sibling drawn without replacement came from. */
    static double[] without(double[] q, int token) {
        double[] r = q.clone();
        r[token] = 0;
        double mass = 0;
        for (double v : r) {
            mass += v;
        }
        // No mass left: no further candidate exists to be tested, r stays all zeros.
        return mass > 0 ? dividedBy(r, mass) : r;
    }

    /**
     * r divided by {@code mass} in place (the one renormalisation of the residuals, so all divide in the same order);
     * the guards above decide when there is mass to divide by (a NaN mass fails them, as {@code !(mass > g)} did).
     */
    private static double[] dividedBy(double[] r, double mass) {
        for (int i = 0; i < r.length; i++) {
            r[i] /= mass;
        }
        return r;
    }
}
