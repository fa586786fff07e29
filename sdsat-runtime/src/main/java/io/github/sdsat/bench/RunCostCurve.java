package io.github.sdsat.bench;

import io.github.sdsat.bench.ReproductionRun.Listener;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.results.Aggregator;
import io.github.sdsat.results.PromptRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a reproduction run measures of its model beside the generations: T(width) for the pass widths its records
 * used (the rows' speedup ceilings, docs/PERFORMANCE.md) and the weight bandwidth AR decoding achieved.
 */
final class RunCostCurve {
    /**
     * Rounds of the run's cost curve: each width's median over this many passes (after a warm-up round). 7 rounds
     * let one noisy point through (a run measured T(2) below T(1) and overstated every ceiling); 21 rounds of all
     * widths take well under a second on the embedded model.
     */
    static final int ROUNDS = 21;

    private RunCostCurve() {}

    /**
     * The cache length the cost curve is measured at: the median prompt length plus half the mean generation
     * length, the typical context of a decode pass in this run (bounded by the model's context).
     */
    static int cachedLength(List<long[]> prompts, List<Task> tasks, ReproductionPlan plan, LlamaModel model) {
        double[] lengths = prompts.stream().mapToDouble(p -> p.length).toArray();
        double meanNew = tasks.stream().mapToInt(plan::maxNewTokens).average().orElse(0);
        int cached = (int) Math.round(Aggregator.median(lengths) + meanNew / 2);
        return Math.max(1, Math.min(cached, model.config().maxPositions() / 2));
    }

    /**
     * T(width) for every pass width the records used, measured now on the model: the input of each row's speedup
     * ceiling. Measured after the prompts so the JIT and caches are as warm as for the measured passes.
     */
    static Map<Integer, Double> measure(LlamaModel model, List<PromptRecord> records, int cached, Listener listener) {
        TreeSet<Integer> widths = new TreeSet<>(List.of(1));
        for (PromptRecord r : records) {
            long[] byWidth = r.decodePassesByWidth();
            for (int w = 1; byWidth != null && w < byWidth.length; w++) {
                if (byWidth[w] > 0) {
                    widths.add(w);
                }
            }
        }
        int room = model.config().maxPositions() - widths.last();
        int at = Math.max(0, Math.min(cached, room));
        listener.info("Cost curve: " + widths.size() + " pass widths (1.." + widths.last() + ") at " + at
                + " cached tokens, median of " + ROUNDS);
        return PassTimings.medians(model, at, new ArrayList<>(widths), ROUNDS);
    }

    /**
     * Weight bytes per pass / the greedy baseline's median decode time per token (prefill excluded), in GB/s: the
     * bandwidth AR decoding achieves, beside the speedups; null without greedy baseline rows of two tokens or more.
     */
    static Double arWeightGBps(long weightBytesPerPass, List<PromptRecord> records) {
        double[] msPerToken = records.stream()
                .filter(r -> r.isBaseline() && r.temperature() == 0.0 && r.newTokens() > 1)
                .mapToDouble(r -> (r.timeMs() - r.prefillMs()) / (r.newTokens() - 1))
                .toArray();
        if (msPerToken.length == 0 || weightBytesPerPass <= 0) {
            return null;
        }
        double median = Aggregator.median(msPerToken);
        return median > 0 ? weightBytesPerPass / (median / 1e3) / 1e9 : null;
    }
}
