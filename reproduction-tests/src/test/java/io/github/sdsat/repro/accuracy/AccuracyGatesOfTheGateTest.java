package io.github.sdsat.repro.accuracy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.repro.support.ReproModel;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The accuracy gates against the bugs they name: each mutant must fail its gate with a message saying what broke. */
@Epic("SDSAT reproduction")
@Feature("Accuracy gates: tests of the gates themselves")
class AccuracyGatesOfTheGateTest {
    @Test
    @DisplayName("a held-out file list with a training file fails the held-out split gate")
    void trainingFileInTheHeldOutListFailsTheSplitGate() {
        Map<String, String> files = new TreeMap<>(AccuracyPreservationTest.manifest());
        files.put("json_decoder.py", "json/decoder.py"); // in the training split (PythonCorpusTest pins it)
        assertThatThrownBy(() -> AccuracyPreservationTest.checkHeldOutSplit(files))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(
                        "json_decoder.py (stdlib json/decoder.py) is not in PythonCorpus's held-out " + "split");
    }

    @Test
    @DisplayName("the base model with a flattened LM head fails the loss gate at +3% and passes it at +1%")
    void lossGateSeparatesThreeFromOnePercent() {
        // The candidates are the base model itself with its LM head scaled (logits x s), the scale found so that the
        // loss rises by 3% and by 1%: same tokenizer, same files, the gate's own loss code; the bound is 2%.
        ReproModel base = ReproModel.base();
        AccuracyPreservationTest.HeldOutLogits logits = AccuracyPreservationTest.HeldOutLogits.of(base);
        double[] baseLoss = logits.loss(1.0);
        double threePercent = logits.scaleForRelativeIncrease(0.03);
        double onePercent = logits.scaleForRelativeIncrease(0.01);
        double[] threeLoss = logits.loss(threePercent);
        assertThat((threeLoss[0] - baseLoss[0]) / baseLoss[0])
                .as("the +3% model")
                .isBetween(0.029, 0.031);
        assertThatThrownBy(() -> AccuracyPreservationTest.checkHeldOutLoss(
                        "base", baseLoss, "base with LM head x " + threePercent, threeLoss))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("relative change +")
                .hasMessageContaining("the fine-tune lost standard-token accuracy");
        double passed = AccuracyPreservationTest.checkHeldOutLoss(
                "base", baseLoss, "base with LM head x " + onePercent, logits.loss(onePercent));
        assertThat(passed).as("relative change of the +1% model").isBetween(0.009, 0.011);
    }
}
