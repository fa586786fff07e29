package io.github.sdsat.results;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One gate of a run, as {@code sdsat:reproduce} evaluates it after measuring (docs/DESIGN.md §7): one row of
 * {@code gates} in {@code results.json}, one test case of the run's JUnit XML and Allure results.
 *
 * @param group what kind of gate: {@code lossless}, {@code minSpeedup}, {@code minTokensPerForward},
 *     {@code baseline}, {@code accuracy}
 * @param name the gate's name within its group, e.g. {@code humaneval sdsat k=3}
 * @param status {@link Status#PASSED}, {@link Status#FAILED} or {@link Status#NOT_ENFORCED} (evaluated and failed,
 *     but only reported: {@code -Dsdsat.failOnMismatch=false}, a row that vanished from a baseline, a measure that
 *     cannot discriminate)
 * @param message the verdict in words with the figures it rests on
 * @param figures the figures by name (measured value, bound, floor, tolerance, counts), for machines
 */
public record GateResult(String group, String name, Status status, String message, Map<String, Object> figures) {

    /** A gate's outcome. */
    public enum Status {
        PASSED,
        FAILED,
        NOT_ENFORCED
    }

    public GateResult {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        message = message == null ? "" : message;
        figures = figures == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }

    /** Whether this gate fails the build. */
    @JsonIgnore
    public boolean failsTheBuild() {
        return status == Status.FAILED;
    }

    /** {@code group: name}, the test case's full name. */
    @JsonIgnore
    public String title() {
        return group + ": " + name;
    }
}
