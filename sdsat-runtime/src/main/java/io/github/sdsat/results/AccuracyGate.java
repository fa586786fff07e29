package io.github.sdsat.results;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The accuracy verdict of a run: the SDSAT model's pass@1 is not below the base model's by more than
 * {@code margin}, and under greedy decoding every decoder passes exactly the problems plain decoding passes.
 *
 * @param margin the largest drop of pass@1 (SDSAT model's {@code ar} below the base model's) that still passes
 * @param passed whether every condition held
 * @param failures each condition that failed, in words
 * @param comparisons the paired comparisons: the SDSAT model against the base model, each decoder against {@code ar}
 * @param sandbox how the completions were run (interpreter, user, namespaces, limits)
 */
public record AccuracyGate(
        double margin,
        boolean passed,
        List<String> failures,
        List<AccuracyComparison> comparisons,
        Map<String, Object> sandbox) {

    public AccuracyGate {
        failures = failures == null ? List.of() : List.copyOf(failures);
        comparisons = comparisons == null ? List.of() : List.copyOf(comparisons);
        sandbox = sandbox == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sandbox));
    }
}
