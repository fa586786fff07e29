package io.github.sdsat.repro.gate;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.model.Argmax;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.repro.support.LogitProbe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test-only SDSAT two-step greedy decoder written independently of the runtime and without a KV cache (every pass
 * recomputes the whole sequence): a draft pass over {@code [sequence, SAT x k]} and a verify pass over
 * {@code [sequence, t1, d2..d(k+1)]} per loop, committing t1, the accepted drafts and the bonus token. With
 * {@code dropBonus} the bonus token goes into the model's context but not into the output (the official code's
 * failure mode: the next loop continues as if the token had been emitted), a deliberately broken decoder that the
 * equivalence gate must catch.
 */
final class BonusDroppingDecoder implements Decoder {
    private final LlamaModel model;
    private final long sat;
    private final boolean dropBonus;
    private final List<Integer> droppedAt = new ArrayList<>();

    BonusDroppingDecoder(LlamaModel model, long sat, boolean dropBonus) {
        this.model = model;
        this.sat = sat;
        this.dropBonus = dropBonus;
    }

    @Override
    public String name() {
        return dropBonus ? "test-sdsat-dropping-bonus" : "test-sdsat-uncached";
    }

    /**
     * No KV cache, but the same count of positions: the longest pass is the verify pass over the sequence (prompt,
     * output and, with {@code dropBonus}, up to one dropped bonus per emitted token), t1 and k drafts.
     */
    @Override
    public int cacheSlots(int promptTokens, GenerationConfig config) {
        return promptTokens + (dropBonus ? 2 : 1) * config.maxNewTokens() + config.k() + 2;
    }

    /** Output positions at which a bonus token was dropped (the token the correct decoder would have put there). */
    List<Integer> droppedAt() {
        return List.copyOf(droppedAt);
    }

    @Override
    public GenerationResult generate(long[] promptIds, GenerationConfig config) {
        droppedAt.clear();
        int k = config.k();
        int vocab = model.config().vocabSize();
        List<Long> out = new ArrayList<>();
        List<Long> context = new ArrayList<>(); // what the model sees after the prompt: out, plus dropped bonuses
        int passes = 1;
        long first = Argmax.of(LogitProbe.nextTokenLogits(model, promptIds), 0, vocab);
        String stop = emit(out, context, first, config);
        long drafted = 0;
        long accepted = 0;
        while (stop == null) {
            long[] sequence = concat(promptIds, context);
            int n = sequence.length;
            long[] draftInput = Arrays.copyOf(sequence, n + k);
            Arrays.fill(draftInput, n, n + k, sat);
            float[] draftRows = LogitProbe.rows(model, draftInput, n - 1); // k + 1 rows
            passes++;
            long t1 = Argmax.of(draftRows, 0, vocab);
            long[] drafts = new long[k];
            for (int j = 1; j <= k; j++) {
                drafts[j - 1] = Argmax.of(draftRows, j * vocab, vocab);
            }
            stop = emit(out, context, t1, config);
            if (stop != null) {
                break;
            }
            long[] verifyInput = concat(sequence, new long[] {t1});
            verifyInput = concat(verifyInput, drafts);
            float[] verifyRows = LogitProbe.rows(model, verifyInput, n); // row i predicts the token after t1, d1..di
            passes++;
            int a = 0;
            while (a < k && drafts[a] == Argmax.of(verifyRows, a * vocab, vocab)) {
                a++;
            }
            drafted += k;
            accepted += a;
            for (int i = 0; i < a && stop == null; i++) {
                stop = emit(out, context, drafts[i], config);
            }
            if (stop != null) {
                break;
            }
            long bonus = Argmax.of(verifyRows, a * vocab, vocab);
            if (dropBonus) {
                droppedAt.add(out.size());
                context.add(bonus);
            } else {
                stop = emit(out, context, bonus, config);
            }
        }
        long[] ids = out.stream().mapToLong(Long::longValue).toArray();
        GenerationStats stats = new GenerationStats(
                ids.length, passes, drafted, accepted, new long[k], 0.001, 0.001, 0, passes - 1, new long[0]);
        return new GenerationResult(promptIds.clone(), ids, stats, stop);
    }

    private static String emit(List<Long> out, List<Long> context, long token, GenerationConfig config) {
        out.add(token);
        context.add(token);
        if (config.isStop(token)) {
            return "eos";
        }
        return out.size() >= config.maxNewTokens() ? "length" : null;
    }

    private static long[] concat(long[] a, List<Long> b) {
        return concat(a, b.stream().mapToLong(Long::longValue).toArray());
    }

    private static long[] concat(long[] a, long[] b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
