package io.github.sdsat.repro.regression;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.DraftTree;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.decode.SdsatTreeDecoder;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.Mutants;
import io.github.sdsat.repro.support.ReproModel;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The regression gates of {@link OfficialCodeRegressionTest} against the official code's bugs, each built as a mutant
 * of a correct decoder: every mutant must fail the gate that names its bug, with a {@code [regression]} message that
 * says what broke.
 */
@Epic("SDSAT reproduction")
@Feature("Regression gates: tests of the gates themselves")
class RegressionGatesOfTheGateTest {
    private static Decoder sdsat() {
        ReproModel model = ReproModel.sdsat();
        return Decoders.create("sdsat", model.model(), model.satId());
    }

    @Test
    @DisplayName("a decoder that leaks one token past a stop token fails the stop-token gate")
    void leakingPastAStopFailsTheStopGate() {
        assertThatThrownBy(() ->
                        OfficialCodeRegressionTest.checkStopTokenEndsGeneration(new Mutants.LeaksPastStop(sdsat()), 5))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("[regression] test-sdsat-leaks-past-stop with stop token")
                .hasMessageContaining("must be the baseline up to and including it");
    }

    @Test
    @DisplayName("a decoder whose stops never fall inside a block (no drafts accepted) fails the stop-token gate")
    void stopsNeverInsideABlockFailTheStopGate() {
        // Autoregressive decoding stops correctly, but emits one token per loop: no checked stop cuts a block.
        ReproModel model = ReproModel.sdsat();
        assertThatThrownBy(() -> OfficialCodeRegressionTest.checkStopTokenEndsGeneration(
                        new AutoregressiveDecoder(model.model()), 5))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("[regression] ar k=5: stops that fell inside a block")
                .hasMessageContaining("accepted no draft next to a checked stop");
    }

    @Test
    @DisplayName("a decoder one token short of maxNewTokens fails the length gate")
    void oneTokenShortFailsTheLengthGate() {
        assertThatThrownBy(() ->
                        OfficialCodeRegressionTest.checkExactlyMaxNewTokens(new Mutants.OneTokenShort(sdsat()), 5, 17))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(
                        "[regression] test-sdsat-one-token-short k=5: tokens emitted with " + "maxNewTokens 17");
    }

    @Test
    @DisplayName("a decoder whose timing leaves out the prefill fails the timing gate")
    void prefillLeftOutOfTheTimingFailsTheTimingGate() {
        assertThatThrownBy(
                        () -> OfficialCodeRegressionTest.checkTimingCoversPrefill(new Mutants.PrefillUntimed(sdsat())))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("[regression] test-sdsat-prefill-untimed: timed prefill 0.000 ms")
                .hasMessageContaining("the timing leaves out the prefill");
    }

    @Test
    @DisplayName("sampled output that leaks past its stop token fails the sampled-truncation gate")
    void sampledOutputLeakingPastAStopFailsTheTruncationGate() {
        ReproModel model = ReproModel.sdsat();
        Decoder sampler = Matrix.available(SdsatTreeDecoder.NAME)
                ? Decoders.create(SdsatTreeDecoder.NAME, model.model(), model.satId())
                : new AutoregressiveDecoder(model.model());
        assertThatThrownBy(() -> OfficialCodeRegressionTest.checkSampledOutputTruncated(
                        new Mutants.LeaksPastStop(sampler), SamplingMode.LOSSLESS))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("-leaks-past-stop LOSSLESS: output ends at the first stop token");
    }

    @Test
    @DisplayName("leaf paths padded with a real node's index (the official code) fail the padded-paths gate")
    void pathsPaddedWithARealNodeFailThePaddingGate() {
        for (int depth : DraftTree.supportedDepths()) {
            DraftTree tree = DraftTree.forDepth(depth);
            List<int[]> aliased = new ArrayList<>();
            boolean anyPadded = false;
            for (int[] path : tree.leafPaths()) {
                int[] copy = path.clone();
                for (int i = 1; i < copy.length; i++) {
                    if (copy[i] == DraftTree.PAD) {
                        copy[i] = tree.size() - 1; // the last node's index, as the official code padded
                        anyPadded = true;
                    }
                }
                aliased.add(copy);
            }
            if (!anyPadded) {
                continue;
            }
            assertThatThrownBy(() -> OfficialCodeRegressionTest.checkLeafPaths(tree, aliased.toArray(new int[0][])))
                    .as(
                            "depth %d paths %s",
                            depth, aliased.stream().map(Arrays::toString).toList())
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("[regression] depth " + depth);
            return;
        }
        throw new AssertionError("no supported tree depth has a padded leaf path, so the padding gate checks nothing");
    }
}
