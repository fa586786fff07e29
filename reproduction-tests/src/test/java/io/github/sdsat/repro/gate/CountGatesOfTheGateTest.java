package io.github.sdsat.repro.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.repro.support.BaselineCache;
import io.github.sdsat.repro.support.CountGates;
import io.github.sdsat.repro.support.Mutants;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
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

    private static List<GenerationResult> run(Decoder decoder, int k) {
        ReproModel model = ReproModel.sdsat();
        return Prompts.speed(model).stream()
                .map(p -> decoder.generate(p.ids(), BaselineCache.config(p, Prompts.SPEED_NEW_TOKENS, k)))
                .toList();
    }

    private static Decoder sdsat() {
        ReproModel model = ReproModel.sdsat();
        return Decoders.create("sdsat", model.model(), model.satId());
    }

    @Test
    @DisplayName("a decoder that caps its drafts at 3 fails 'drafted tokens per loop equal k' at k=5")
    void draftsCappedBelowKFailTheDraftsPerLoopGate() {
        List<GenerationResult> runs = run(new Mutants.CappedDrafts(sdsat(), 3), K);
        ReproPrompt first = Prompts.speed(ReproModel.sdsat()).get(0);
        // Tokens per pass cannot tell: acceptance saturates at 3 drafts on this model, which is why this gate exists.
        assertThatThrownBy(() -> CountGates.checkDraftsPerLoop(
                        "sdsat", K, first.id(), runs.get(0).stats()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5 on " + first.id())
                .hasMessageContaining("expected k = 5")
                .hasMessageContaining("does not draft k tokens per loop");
    }

    @Test
    @DisplayName("a decoder that does not count its draft passes fails 'forward passes per loop'")
    void miscountedPassesFailThePassesPerLoopGate() {
        List<GenerationResult> runs = run(new Mutants.MiscountedPasses(sdsat()), K);
        ReproPrompt first = Prompts.speed(ReproModel.sdsat()).get(0);
        assertThat(CountGates.tokensPerPass(runs))
                .as("the miscount inflates tokens per pass, so its floor passes")
                .isGreaterThan(CountGates.tokensPerPass(run(sdsat(), K)));
        assertThatThrownBy(() -> CountGates.checkPassesPerLoop(
                        "sdsat", K, first.id(), runs.get(0).stats()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sdsat k=5 on " + first.id())
                .hasMessageContaining("pass(es) per loop")
                .hasMessageContaining("passes miscounted");
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
}
