package io.github.sdsat.repro.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.repro.support.BaselineCache;
import io.github.sdsat.repro.support.CountGates;
import io.github.sdsat.repro.support.MeteredRun;
import io.github.sdsat.repro.support.Mutants;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The count gates of the speed suite ({@link CountGates}) against broken decoders on the shipped sdsat model and the
 * speed gates' own prompts: each mutant must fail the gate that names its bug, with a message saying what broke. Each
 * mutant's output is still token-exact greedy output, so the equivalence gate cannot catch any of them.
 */
@Epic("SDSAT reproduction")
@Feature("Speed gates: tests of the gates themselves")
class CountGatesOfTheGateTest {
    private static final int K = 5;

    /** The mutant's runs on the speed prompts, measured at the model boundary as the gates measure them. */
    private static List<MeteredRun> metered(Decoder decoder, int k) {
        ReproModel model = ReproModel.sdsat();
        return Prompts.speed(model).stream()
                .map(p -> MeteredRun.generate(
                        model.model(), decoder, p.ids(), BaselineCache.config(p, Prompts.SPEED_NEW_TOKENS, k)))
                .toList();
    }

    private static List<GenerationResult> run(Decoder decoder, int k) {
        return metered(decoder, k).stream().map(MeteredRun::counted).toList();
    }

    private static Decoder sdsat() {
        ReproModel model = ReproModel.sdsat();
        return Decoders.create("sdsat", model.model(), model.satId());
    }

    @Test
    @DisplayName(
            "a decoder that caps its drafts at 3 but reports k=5 fails 'drafted tokens per loop' on the model's pass widths")
    void draftsCappedBelowKFailTheDraftsPerLoopGate() {
        MeteredRun first =
                metered(new Mutants.CappedDraftsReportingK(sdsat(), 3), K).get(0);
        String id = Prompts.speed(ReproModel.sdsat()).get(0).id();
        // Its own bookkeeping claims k drafts per loop, so the checks on its statistics alone pass ...
        CountGates.checkDraftsPerLoop("sdsat", K, id, first.result().stats());
        // ... and tokens per pass cannot tell (acceptance saturates at 3 drafts on this model); the widths can.
        assertThatThrownBy(() -> CountGates.checkDraftsPerLoop(
                        "sdsat", K, id, first.counted().stats()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5 on " + id)
                .hasMessageContaining("decode passes of 4 new tokens")
                .hasMessageContaining("does not draft k tokens per loop");
    }

    @Test
    @DisplayName("a decoder that does not count its draft passes is counted at the model, and its counter is named")
    void miscountedPassesAreCountedAtTheModel() {
        List<MeteredRun> runs = metered(new Mutants.MiscountedPasses(sdsat()), K);
        String id = Prompts.speed(ReproModel.sdsat()).get(0).id();
        assertThat(CountGates.tokensPerPass(
                        runs.stream().map(MeteredRun::counted).toList()))
                .as("tokens per pass from the model's count are the honest decoder's")
                .isEqualTo(CountGates.tokensPerPass(run(sdsat(), K)));
        assertThatThrownBy(() -> CountGates.checkOwnCounterMatchesModel("sdsat", K, id, runs.get(0)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5 on " + id)
                .hasMessageContaining("passes miscounted");
    }

    @Test
    @DisplayName("a decoder that runs a pass its counter leaves out fails 'forward passes per loop' at the model")
    void hiddenPassFailsThePassesPerLoopGate() {
        ReproModel model = ReproModel.sdsat();
        MeteredRun first = metered(new Mutants.HiddenPrefillPass(sdsat(), model.model()), K)
                .get(0);
        String id = Prompts.speed(model).get(0).id();
        CountGates.checkPassesPerLoop("sdsat", K, id, first.result().stats()); // its own counter looks right
        assertThatThrownBy(() -> CountGates.checkPassesPerLoop(
                        "sdsat", K, id, first.counted().stats()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5 on " + id)
                .hasMessageContaining("pass(es) per loop")
                .hasMessageContaining("passes miscounted");
        assertThatThrownBy(() -> CountGates.checkOwnCounterMatchesModel("sdsat", K, id, first))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the model ran");
    }

    @Test
    @DisplayName("SAT drafts from the wrong token id fail the tokens-per-pass and accepted-per-position floors")
    void wrongSatTokenFailsTheAcceptanceFloors() {
        ReproModel model = ReproModel.sdsat();
        // An ordinary token in place of the SAT: the decoder stays lossless but its drafts are rarely accepted.
        Decoder wrongSat = Decoders.create("sdsat", model.model(), model.eosId());
        List<GenerationResult> runs = run(wrongSat, K);
        assertThatThrownBy(() -> CountGates.checkTokensPerPass("sdsat", K, runs))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5: tokens per forward pass")
                .hasMessageContaining("is below the floor speed.tokensPerForward.sdsat.k5");
        assertThatThrownBy(() -> CountGates.checkAcceptedPerPosition("sdsat", K, runs))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5: draft position 1 accepted")
                .hasMessageContaining("speed.acceptedPerLoop.sdsat.k5");
    }

    @Test
    @DisplayName("a count floor looser than 'measured - 0.02' fails its rule; one at the rule passes")
    void floorLooserThanItsRuleFails() {
        CountGates.checkFloorFollowsTheRule("speed.tokensPerForward.sdsat.k5", 1.371, 1.351, 0.02);
        assertThatThrownBy(
                        () -> CountGates.checkFloorFollowsTheRule("speed.tokensPerForward.sdsat.k5", 1.371, 1.30, 0.02))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("looser than its rule (measured - 0.02)")
                .hasMessageContaining("recalibrate it to 1.3510");
    }
}
