package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;

/**
 * Single-pass SDSAT greedy (docs/DESIGN.md §4, beyond the paper): the verify pass of one loop is merged with the draft
 * pass of the next. Each pass feeds {@code [t, d1..dk]} plus one block of k SATs after every possible acceptance point
 * a (block a sees the context, t, d1..da and itself, at the positions following da). Once the accepted length a is
 * known, block a's outputs are the next drafts, so a loop costs one pass of (k+1)² tokens for a+1 tokens.
 */
public final class SdsatSinglePassDecoder extends SatDecoder {
    public static final String NAME = "sdsat-single-pass";

    public SdsatSinglePassDecoder(LlamaModel model, long satToken) {
        super(model, NAME, satToken, SdsatSinglePassDecoder::passWidth);
    }

    /** Tokens of one pass: t, k drafts and k + 1 blocks of k SATs. */
    private static int passWidth(int k) {
        return (k + 1) * (k + 1);
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        int k = config.k();
        SatPrefill first = prefillWithSatBlock(prompt, k, cache, counters);
        long t = first.next();
        long[] drafts = first.drafts(); // [k]
        int n = prompt.length; // position of t
        if (!out.emit(t)) {
            return;
        }
        int width = passWidth(k);
        long[] tokens = new long[width];
        long[] positions = new long[width];
        while (true) {
            counters.loops++;
            int cached = cache.length();
            tokens[0] = t;
            System.arraycopy(drafts, 0, tokens, 1, k);
            for (int i = 0; i <= k; i++) {
                positions[i] = n + i;
            }
            for (int a = 0; a <= k; a++) {
                for (int i = 1; i <= k; i++) {
                    int row = blockRow(k, a, i);
                    tokens[row] = satToken;
                    positions[row] = n + a + i;
                }
            }
            long[] out1 = passes.argmax(cache, tokens, positions, mask(k, cached), 0);
            int accepted = SpeculativeSampling.greedyPrefix(drafts, 0, out1, k);
            counters.verified(k, accepted);
            for (int i = 0; i < accepted; i++) {
                if (!out.emitAcceptedDraft(drafts[i])) {
                    return;
                }
            }
            long bonus = out1[accepted];
            for (int i = 1; i <= k; i++) {
                drafts[i - 1] = out1[blockRow(k, accepted, i)];
            }
            cache.truncate(cached + accepted + 1); // t and d1..da
            committed(cache);
            n += accepted + 1;
            t = bonus;
            if (!out.emit(bonus)) {
                return;
            }
        }
    }

    /** Row of SAT i (1-based) of block a in the pass. */
    private static int blockRow(int k, int a, int i) {
        return (k + 1) + a * k + (i - 1);
    }

    /** Additive mask [(k+1)², cached + (k+1)²]: verify rows causal; block a sees t, d1..da and its own earlier SATs. */
    static float[] mask(int k, int cached) {
        int width = passWidth(k);
        int cols = cached + width;
        float[] m = new float[width * cols];
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < width; r++) {
            Arrays.fill(m, r * cols, r * cols + cached, 0f);
        }
        for (int r = 0; r <= k; r++) {
            Arrays.fill(m, r * cols + cached, r * cols + cached + r + 1, 0f);
        }
        for (int a = 0; a <= k; a++) {
            for (int i = 1; i <= k; i++) {
                int row = blockRow(k, a, i);
                Arrays.fill(m, row * cols + cached, row * cols + cached + a + 1, 0f);
                for (int j = 1; j <= i; j++) {
                    m[row * cols + cached + blockRow(k, a, j)] = 0f;
                }
            }
        }
        return m;
    }
}
