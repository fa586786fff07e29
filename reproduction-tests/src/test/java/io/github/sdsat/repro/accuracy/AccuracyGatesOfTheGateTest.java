package io.github.sdsat.repro.accuracy;

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
    @DisplayName("a fine-tune that lost its language model (random weights) fails the held-out loss gate")
    void brokenFineTuneFailsTheLossGate() {
        assertThatThrownBy(
                        () -> AccuracyPreservationTest.checkHeldOutLoss(ReproModel.base(), ReproModel.randomFixture()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("relative change +")
                .hasMessageContaining("the fine-tune lost standard-token accuracy");
    }
}
