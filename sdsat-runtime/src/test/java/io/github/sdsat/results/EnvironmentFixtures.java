package io.github.sdsat.results;

import java.util.Map;

/** Hand-made environments for tests. */
public final class EnvironmentFixtures {

    private EnvironmentFixtures() {}

    /** A CPU run of a BF16 model on the Java backend whose cost curve was measured at 167 cached tokens. */
    public static Environment cpuWithCostCurve(Map<Integer, Double> costCurveMs) {
        return new Environment(
                "cpu()",
                "bfloat16",
                "17",
                "0.36.0",
                "Linux",
                "AMD EPYC",
                null,
                "/models/m",
                null,
                null,
                "java",
                167,
                costCurveMs,
                null,
                null);
    }
}
