package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ArgmaxTest {
    @Test
    void theLowestIndexOfTheLargestValueWinsInsideTheSlice() {
        float[] values = {9, 1, 5, 5, 2, 9};
        assertThat(Argmax.of(values, 0, values.length)).isZero(); // 9 at 0 and 5: the first
        assertThat(Argmax.of(values, 1, 4)).isEqualTo(1); // 1, 5, 5, 2: the first 5, counted from the offset
        assertThat(Argmax.of(new float[] {-3, Float.NEGATIVE_INFINITY, -1}, 0, 3))
                .isEqualTo(2);
    }

    @Test
    void rowsTakeTheArgmaxOfEachRowOfTheVocabulary() {
        float[] logits = {0, 3, 3, /* row 1 */ 7, 1, 7, /* row 2 */ -1, -2, 0};
        assertThat(Argmax.rows(logits, 3)).containsExactly(1, 0, 2);
    }
}
