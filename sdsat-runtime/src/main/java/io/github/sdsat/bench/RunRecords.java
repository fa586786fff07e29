package io.github.sdsat.bench;

import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.train.DraftingEvaluation;
import java.util.Arrays;

/** A reproduction run's {@link PromptRecord}s, made from one timed generation each. */
final class RunRecords {
    private RunRecords() {}

    /**
     * The record of one generation that took {@code wallMs} on the model's clock; {@code baselineIds} (null for
     * sampled rows, which are not compared) is the greedy baseline's output the ids are checked against.
     */
    static PromptRecord of(
            Task task,
            String decoder,
            int k,
            double temperature,
            String sampling,
            GenerationResult result,
            double wallMs,
            long[] baselineIds) {
        GenerationStats stats = result.stats();
        long[] output = result.outputIds();
        Boolean identical = null;
        Integer firstMismatch = null;
        if (baselineIds != null) {
            int mismatch = Arrays.mismatch(output, baselineIds);
            identical = mismatch < 0;
            firstMismatch = mismatch < 0 ? null : mismatch;
        }
        double seconds = wallMs / 1000.0;
        return new PromptRecord(
                task.dataset(),
                task.id(),
                decoder,
                k,
                temperature,
                sampling,
                result.promptIds().length,
                stats.newTokens(),
                stats.forwardPasses(),
                stats.draftedTokens(),
                stats.acceptedTokens(),
                stats.acceptedPerPosition(),
                wallMs,
                stats.prefillMs(),
                seconds > 0 ? stats.newTokens() / seconds : 0.0,
                identical,
                firstMismatch,
                stats.loops(),
                repeatedAcceptedTokens(result),
                stats.decodePassesByWidth(),
                null,
                null);
    }

    /**
     * Emitted accepted drafts whose 4-gram already occurred in prompt + output before them: the part of a
     * decoder's acceptance that copying the context explains (the same count as {@link DraftingEvaluation}'s).
     */
    static long repeatedAcceptedTokens(GenerationResult result) {
        boolean[] fromDraft = result.fromDraft();
        boolean anyDraft = false;
        for (boolean f : fromDraft) {
            anyDraft |= f;
        }
        if (!anyDraft) {
            return 0;
        }
        boolean[] repeats =
                DraftingEvaluation.repeatsContext(result.promptIds(), result.outputIds(), DraftingEvaluation.NGRAM);
        long count = 0;
        for (int i = 0; i < repeats.length; i++) {
            count += repeats[i] && fromDraft[i] ? 1 : 0;
        }
        return count;
    }
}
