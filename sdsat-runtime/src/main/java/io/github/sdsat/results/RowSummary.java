package io.github.sdsat.results;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One row of {@code rows} in {@code results.json}: one (dataset, decoder, temperature, k, sampling) over its
 * prompts. Computed by {@link Aggregator#summarise}, whose comment states every denominator.
 *
 * @param dataset dataset name
 * @param decoder decoder name ({@code ar} for the baseline)
 * @param temperature sampling temperature, 0 for greedy
 * @param k SAT tokens per draft, 0 for {@code ar}
 * @param sampling null for greedy, else the acceptance rule ({@code paper}, {@code lossless})
 * @param prompts number of prompts measured in this row
 * @param meanTimeMs mean wall time per prompt (prefill included) over this row's prompts
 * @param medianTimeMs median of the same
 * @param speedup baseline mean time / this row's mean time over the prompts both have; 1.0 for the baseline;
 *     null when the run has no baseline at this dataset and temperature
 * @param medianSpeedup median over the shared prompts of (baseline time / this row's time)
 * @param tokensPerSecond total new tokens / total wall seconds
 * @param tokensPerForward total new tokens / total forward passes
 * @param acceptRate total accepted / total drafted tokens; null when nothing was drafted ({@code ar})
 * @param meanAcceptedPerLoop total accepted tokens / total draft-verify loops; null when nothing was drafted
 * @param identicalToBaseline prompts whose output equals the baseline's, for greedy rows; null for sampling rows
 * @param repeatedAcceptedShare share of the accepted drafts that copied a 4-gram already in the context: total
 *     repeated accepted drafts / total accepted drafts over the prompts that measured it; null when nothing was
 *     accepted or no record measured it (results written before the field existed). A high share means the
 *     acceptance comes from text the model repeats, which a lookup drafter finds as well.
 * @param ceilingSpeedup the speedup a zero-overhead loop would get from the run's own cost curve and this row's
 *     passes: Σ(prefill + modelledArDecodeMs) / Σ(prefill + modelledDecodeMs) over the row's prompts (the measured
 *     prefill, the passes' modelled cost; {@link PromptRecord}); null when the records carry no modelled times
 */
public record RowSummary(
        String dataset,
        String decoder,
        double temperature,
        int k,
        String sampling,
        int prompts,
        double meanTimeMs,
        double medianTimeMs,
        Double speedup,
        Double medianSpeedup,
        double tokensPerSecond,
        Double tokensPerForward,
        Double acceptRate,
        Double meanAcceptedPerLoop,
        Integer identicalToBaseline,
        Double repeatedAcceptedShare,
        Double ceilingSpeedup) {

    /** Measured speedup / ceiling: how much of what the passes allow the decoder delivers; null without both. */
    @JsonIgnore
    public Double shareOfCeiling() {
        return speedup == null || ceilingSpeedup == null || ceilingSpeedup <= 0 ? null : speedup / ceilingSpeedup;
    }

    /** Whether this is the autoregressive baseline row. */
    @JsonIgnore
    public boolean isBaseline() {
        return PromptRecord.isBaseline(decoder, k);
    }

    /** Whether this row is greedy (temperature 0, no sampling rule). */
    @JsonIgnore
    public boolean isGreedy() {
        return temperature == 0.0 && sampling == null;
    }
}
