package io.github.sdsat.repro.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The sampling gate's chi-square test on hand-computed cases, and its refusal to pass what it cannot test. */
@Epic("SDSAT reproduction")
@Feature("Sampling gate: tests of the gate itself")
class ChiSquareTest {
    private static List<Long> sample(long token, int count, long other, int otherCount) {
        List<Long> values = new ArrayList<>(Collections.nCopies(count, token));
        values.addAll(Collections.nCopies(otherCount, other));
        return values;
    }

    @Test
    @DisplayName("one category after merging is refused, not passed with p = 1")
    void singleCategoryIsRefused() {
        List<Long> allSame = sample(7, 50, 7, 0);
        assertThatThrownBy(() -> ChiSquare.homogeneity(allSame, allSame))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs at least two categories")
                .hasMessageContaining("got 1");
    }

    @Test
    @DisplayName("a 2x2 table gives the textbook statistic and p-value")
    void twoByTwoMatchesTheTextbook() {
        // 60/40 against 40/60, 100 each: expected 50 in every cell, statistic 4 x 10^2 / 50 = 8, df 1, p = 0.004678
        ChiSquare.Result r = ChiSquare.homogeneity(sample(1, 60, 2, 40), sample(1, 40, 2, 60));
        assertThat(r.statistic()).isCloseTo(8.0, Offset.offset(1e-12));
        assertThat(r.degreesOfFreedom()).isEqualTo(1);
        assertThat(r.pValue()).isCloseTo(0.0046777, Offset.offset(1e-6));
    }
}
