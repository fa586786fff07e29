package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.SdsatTwoStepDrafter;
import java.util.List;
import org.junit.jupiter.api.Test;

class DraftingEvaluationTest {
    @Test
    void aTokenRepeatsWhenItsFourGramOccurredEarlierInPromptOrOutput() {
        long[] prompt = {1, 2, 3, 4, 5};
        // output 1 2 3 4 → "1 2 3 4" ends at output[3] and occurred in the prompt; then 9 breaks it
        long[] output = {1, 2, 3, 4, 9, 2, 3, 4, 9};
        boolean[] repeats = DraftingEvaluation.repeatsContext(prompt, output, 4);
        // gram ending at output[0] = (3 4 5 1): new; output[1] = (4 5 1 2): new; output[2] = (5 1 2 3): new;
        // output[3] = (1 2 3 4): in the prompt; output[4] = (2 3 4 9): new; output[5] = (3 4 9 2): new;
        // output[6] = (4 9 2 3): new; output[7] = (9 2 3 4): new; output[8] = (2 3 4 9): seen at output[4]
        assertThat(repeats).containsExactly(false, false, false, true, false, false, false, false, true);
        assertThat(DraftingEvaluation.repeatsContext(new long[] {7}, new long[] {7, 7, 7, 7}, 4))
                .containsExactly(false, false, false, true);
    }

    @Test
    void tableReportsAcceptancePerKAndTheRepeatedShares() {
        DraftingEvaluation.KResult k1 = new DraftingEvaluation.KResult(1, 100, 40, 30, 150, 201, new long[] {40});
        DraftingEvaluation.KResult k5 =
                new DraftingEvaluation.KResult(5, 50, 100, 90, 150, 101, new long[] {40, 25, 15, 12, 8});
        assertThat(k5.acceptedPerLoop()).isEqualTo(2.0);
        assertThat(k5.repeatedShare()).isEqualTo(0.9);
        assertThat(k5.novelAcceptedPerLoop()).isEqualTo(0.2);
        DraftingEvaluation.Result result = new DraftingEvaluation.Result(3, 50, 150, 60, List.of(k1, k5), 12.0);
        assertThat(result.repeatedOutputShare()).isEqualTo(0.4);
        String table = result.markdown();
        assertThat(table)
                .contains(
                        "`" + SdsatTwoStepDrafter.NAME + "`",
                        "first 3 HumanEval prompts",
                        "40.0%",
                        "| 5 | 50 | 2.000 | 1.485 | 90.0% | 0.200 |",
                        "| 1 | 100 | 0.400 | 0.746 | 75.0% | 0.100 |");
    }

    @Test
    void decodingSectionIsAppendedOnceAndReplacedOnRerun() {
        DraftingEvaluation.Result first = new DraftingEvaluation.Result(
                2, 16, 32, 4, List.of(new DraftingEvaluation.KResult(1, 20, 5, 1, 32, 41, new long[] {5})), 1.0);
        DraftingEvaluation.Result second = new DraftingEvaluation.Result(
                2, 16, 32, 4, List.of(new DraftingEvaluation.KResult(1, 20, 7, 1, 32, 41, new long[] {7})), 1.0);
        String card = "# Model\n\n## Recipe\n\ntext\n";
        String once = DraftingEvaluation.withDecodingSection(card, first);
        assertThat(once).startsWith(card + "\n## Decoding\n").contains("| 1 | 20 | 0.250 |");
        String twice = DraftingEvaluation.withDecodingSection(once, second);
        assertThat(twice).contains("| 1 | 20 | 0.350 |").doesNotContain("| 1 | 20 | 0.250 |");
        assertThat(twice.split("## Decoding", -1)).hasSize(2);
        // a section after Decoding survives the replacement
        String withTail = once + "\n## Notes\n\nkept\n";
        assertThat(DraftingEvaluation.withDecodingSection(withTail, second))
                .contains("## Notes\n\nkept")
                .contains("0.350");
    }
}
