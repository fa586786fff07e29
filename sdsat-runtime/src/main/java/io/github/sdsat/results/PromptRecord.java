package io.github.sdsat.results;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.github.sdsat.decode.AutoregressiveDecoder;

/**
 * Measurements of one decoder run on one prompt, one row of {@code prompts} in {@code results.json} and of
 * {@code prompts.csv}.
 *
 * @param dataset dataset name ({@code humaneval}, {@code infilling} or a custom name)
 * @param taskId the task's id within the dataset
 * @param decoder {@code ar} (the autoregressive baseline), {@code sdsat}, {@code sdsat-single-pass},
 *     {@code sdsat-tree}, {@code lookup}, ...
 * @param k number of semantic adaptive tokens per draft; 0 for {@code ar}
 * @param temperature sampling temperature; 0 is greedy
 * @param sampling sampling acceptance rule: null for greedy, {@code paper} or {@code lossless}
 * @param promptTokens prompt length in tokens as fed to the model (BOS included)
 * @param newTokens tokens generated
 * @param forwardPasses model forward calls, as the decoder counts them
 * @param draftedTokens tokens proposed by draft passes (0 for {@code ar})
 * @param acceptedTokens drafted tokens the verify passes accepted (0 for {@code ar})
 * @param acceptedPerPosition entry {@code i}: how often the draft token at position {@code i} was accepted
 * @param timeMs wall time of the whole generation, prefill included, in milliseconds
 * @param prefillMs wall time of the prompt prefill, in milliseconds
 * @param tokensPerSecond {@code newTokens / (timeMs / 1000)} as measured
 * @param identicalToBaseline whether the output ids equal the {@code ar} output for this prompt; null for
 *     sampling runs, where outputs are not expected to be equal
 * @param firstMismatch index into the generated tokens of the first difference from the baseline, or null
 * @param loops draft-verify iterations (decode steps for {@code ar})
 * @param repeatedAcceptedTokens emitted accepted drafts whose 4-gram (the token and the three before it, over
 *     prompt + output) already occurred earlier in the context ({@code train.DraftingEvaluation.NGRAM}): drafts that
 *     merely copied text, which a lookup drafter would have found as well; 0 for {@code ar}; null in results written
 *     before this field existed
 * @param decodePassesByWidth passes after the prefill by number of new tokens (index = width); null in results
 *     written before this field existed
 * @param modelledDecodeMs what those passes cost on the run's own cost curve T(width) with zero loop overhead:
 *     Σ_w passes(w)·T(w); null when not modelled
 * @param modelledArDecodeMs what autoregressive decoding of the same tokens costs on that curve: (newTokens -
 *     1)·T(1) (the prefill emits the first token); null when not modelled. With the measured prefill, these two give
 *     the row's speedup ceiling ({@link Aggregator})
 */
public record PromptRecord(
        String dataset,
        String taskId,
        String decoder,
        int k,
        double temperature,
        String sampling,
        int promptTokens,
        int newTokens,
        int forwardPasses,
        long draftedTokens,
        long acceptedTokens,
        long[] acceptedPerPosition,
        double timeMs,
        double prefillMs,
        double tokensPerSecond,
        Boolean identicalToBaseline,
        Integer firstMismatch,
        int loops,
        Long repeatedAcceptedTokens,
        long[] decodePassesByWidth,
        Double modelledDecodeMs,
        Double modelledArDecodeMs) {

    public PromptRecord {
        requireName(dataset, "dataset");
        requireName(taskId, "taskId");
        requireName(decoder, "decoder");
        String what = "Prompt record " + dataset + "/" + taskId + " (" + decoder + ", k=" + k + ")";
        if (k < 0) {
            throw new IllegalArgumentException(what + ": k must be >= 0");
        }
        if (!(temperature >= 0.0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(what + ": temperature " + temperature + " must be a number >= 0");
        }
        if (promptTokens < 0
                || newTokens < 0
                || forwardPasses < 0
                || draftedTokens < 0
                || acceptedTokens < 0
                || loops < 0) {
            throw new IllegalArgumentException(what + ": token, pass and loop counts must be >= 0");
        }
        if (!(timeMs >= 0.0) || Double.isInfinite(timeMs) || !(prefillMs >= 0.0) || Double.isInfinite(prefillMs)) {
            throw new IllegalArgumentException(
                    what + ": timeMs " + timeMs + " and prefillMs " + prefillMs + " must be finite and >= 0");
        }
        if (firstMismatch != null && firstMismatch < 0) {
            throw new IllegalArgumentException(what + ": firstMismatch " + firstMismatch + " must be >= 0 or null");
        }
        if (repeatedAcceptedTokens != null && (repeatedAcceptedTokens < 0 || repeatedAcceptedTokens > acceptedTokens)) {
            throw new IllegalArgumentException(what + ": repeatedAcceptedTokens " + repeatedAcceptedTokens
                    + " must be between 0 and acceptedTokens " + acceptedTokens + " (or null when not measured)");
        }
        if ((modelledDecodeMs != null && !(modelledDecodeMs >= 0))
                || (modelledArDecodeMs != null && !(modelledArDecodeMs >= 0))) {
            throw new IllegalArgumentException(what + ": modelled times must be >= 0 or null");
        }
        acceptedPerPosition = acceptedPerPosition == null ? new long[0] : acceptedPerPosition.clone();
        decodePassesByWidth = decodePassesByWidth == null ? null : decodePassesByWidth.clone();
    }

    /**
     * This record with its zero-overhead times modelled on a cost curve ({@code msByWidth.get(w)} = T(w)); unchanged
     * when it has no pass widths.
     *
     * @throws IllegalArgumentException when the curve lacks a width the record used
     */
    public PromptRecord withModelledTimes(java.util.Map<Integer, Double> msByWidth) {
        if (decodePassesByWidth == null) {
            return this;
        }
        double decode = 0;
        for (int w = 1; w < decodePassesByWidth.length; w++) {
            if (decodePassesByWidth[w] > 0) {
                Double t = msByWidth.get(w);
                if (t == null) {
                    throw new IllegalArgumentException(
                            "The cost curve has no pass of " + w + " tokens, used by " + decoder);
                }
                decode += decodePassesByWidth[w] * t;
            }
        }
        double ar = Math.max(0, newTokens - 1) * msByWidth.get(1);
        return io.github.sdsat.Records.copyWith(
                this, java.util.Map.of("modelledDecodeMs", decode, "modelledArDecodeMs", ar));
    }

    private static void requireName(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("Prompt record field " + field + " is missing or blank");
        }
    }

    /** Whether this is the autoregressive baseline ({@code decoder} {@code ar}, {@code k} 0). */
    @JsonIgnore
    public boolean isBaseline() {
        return isBaseline(decoder, k);
    }

    /** Whether {@code decoder} at {@code k} is the autoregressive baseline (as results.json names it: k 0). */
    static boolean isBaseline(String decoder, int k) {
        return AutoregressiveDecoder.NAME.equals(decoder) && k == 0;
    }

    /** Whether this run was greedy (temperature 0, no sampling rule). */
    @JsonIgnore
    public boolean isGreedy() {
        return temperature == 0.0 && sampling == null;
    }

    @Override
    public long[] acceptedPerPosition() {
        return acceptedPerPosition.clone();
    }
}
