package io.github.sdsat.repro.equivalence;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The matrix coverage gate against a build and a run that leave decoders or cells out. */
@Epic("SDSAT reproduction")
@Feature("Equivalence gate: tests of the gate itself")
class CoverageGateOfTheGateTest {
    private static final List<String> PROMPTS = List.of("humaneval/HumanEval/0", "infilling/HumanEval/1");
    private static final List<String> SHIPPED =
            List.of("sdsat", "sdsat-single-pass", "sdsat-tree", "lookup", "sdsat-chain", "sdsat-lookup");

    @Test
    @DisplayName("the full matrix passes; a decoder unknown to the shipped list fails; a skipped cell fails")
    void coverageGateCatchesMissingDecodersAndCells() {
        Set<String> expected = GreedyEquivalenceTest.expectedCells(PROMPTS);
        assertThatCode(() -> GreedyEquivalenceTest.checkCoverage(SHIPPED, expected, expected))
                .as("every cell compared")
                .doesNotThrowAnyException();

        List<String> withNewDecoder = new ArrayList<>(SHIPPED);
        withNewDecoder.add("sdsat-new");
        assertThatThrownBy(() -> GreedyEquivalenceTest.checkCoverage(withNewDecoder, expected, expected))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("greedy decoders of this build against the shipped list")
                .hasMessageContaining("sdsat-new");

        Set<String> lookupK5Skipped = new TreeSet<>(expected);
        lookupK5Skipped.remove("lookup k=5 on infilling/HumanEval/1");
        assertThatThrownBy(() -> GreedyEquivalenceTest.checkCoverage(SHIPPED, expected, lookupK5Skipped))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("cells of the matrix that never ran a comparison (1 of " + expected.size() + ")")
                .hasMessageContaining("lookup k=5 on infilling/HumanEval/1");
    }
}
