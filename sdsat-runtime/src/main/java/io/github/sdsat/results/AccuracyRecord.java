package io.github.sdsat.results;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Functional correctness of one model and decoder on HumanEval (docs/DESIGN.md §9, the {@code accuracy} array of
 * {@code results.json}): each completion run against the problem's tests in the sandbox.
 *
 * @param model the model's label ({@code sdsat} for the run's model, {@code base} for the base model)
 * @param modelPath the model folder
 * @param decoder the decoder that generated the completions ({@code ar} for plain decoding)
 * @param k SAT tokens per draft, 0 for {@code ar}
 * @param temperature 0 for greedy decoding
 * @param sampling the acceptance rule of a sampling decoder, null when greedy or {@code ar}
 * @param samples completions per problem (n; 1 under greedy)
 * @param problems problems run
 * @param passed passing completions over all problems (under greedy: problems passed)
 * @param passAt1 the mean over problems of the share of passing samples
 * @param passAtK pass@k by k (the unbiased estimator of Chen et al. 2021) for k = 1, 10, 100 up to n
 * @param passedTasks task ids with at least one passing completion, in problem order
 */
public record AccuracyRecord(
        String model,
        String modelPath,
        String decoder,
        int k,
        double temperature,
        String sampling,
        int samples,
        int problems,
        int passed,
        double passAt1,
        Map<Integer, Double> passAtK,
        List<String> passedTasks) {

    public AccuracyRecord {
        passAtK = passAtK == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(passAtK));
        passedTasks = passedTasks == null ? List.of() : List.copyOf(passedTasks);
    }

    /** Whether this row's completions are greedy (one per problem, deterministic). */
    public boolean isGreedy() {
        return temperature == 0.0;
    }

    /** A short name of the row, e.g. {@code sdsat/sdsat k5 T0}. */
    public String label() {
        return model + "/" + decoder + (k > 0 ? " k" + k : "") + " T" + (temperature == 0.0 ? "0" : temperature)
                + (sampling == null ? "" : " " + sampling);
    }
}
