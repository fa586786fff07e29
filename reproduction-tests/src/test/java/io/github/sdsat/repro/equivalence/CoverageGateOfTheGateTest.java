package io.github.sdsat.repro.equivalence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.repro.support.Matrix;
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

    @Test
    @DisplayName("the full matrix passes; a decoder without cells fails; a skipped cell fails")
    void coverageGateCatchesMissingDecodersAndCells() {
        List<String> decoders = Matrix.speculativeDecoders();
        Set<String> expected = GreedyEquivalenceTest.expectedCells(decoders, PROMPTS);
        assertThat(expected).contains("sdsat k=1 on humaneval/HumanEval/0", "sdsat-tree k=5 on infilling/HumanEval/1");
        assertThatCode(() -> GreedyEquivalenceTest.checkCoverage(decoders, expected, expected))
                .as("every cell compared")
                .doesNotThrowAnyException();

        List<String> withNewDecoder = new ArrayList<>(decoders);
        withNewDecoder.add("sdsat-new");
        Set<String> expectedWithNew = GreedyEquivalenceTest.expectedCells(withNewDecoder, PROMPTS);
        assertThatThrownBy(() -> GreedyEquivalenceTest.checkCoverage(withNewDecoder, expectedWithNew, expectedWithNew))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("decoders of this build without a cell in the matrix")
                .hasMessageContaining("sdsat-new");

        Set<String> lookupK5Skipped = new TreeSet<>(expected);
        lookupK5Skipped.remove("lookup k=5 on infilling/HumanEval/1");
        assertThatThrownBy(() -> GreedyEquivalenceTest.checkCoverage(decoders, expected, lookupK5Skipped))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("cells of the matrix that never ran a comparison (1 of " + expected.size() + ")")
                .hasMessageContaining("lookup k=5 on infilling/HumanEval/1");
    }
}
