package io.github.sdsat.repro.speed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.repro.support.Mutants;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.results.SpeedupInterval;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The wall-clock gate against slow decoders: a decoder that hides a second generation from its own clock must fail the lookup floor through
 * the same timing and bootstrap code as the gate; and the bootstrap interval itself must exclude a 37% slowdown and
 * cover equal speed on synthetic timings with the spread the gate sees (±20%).
 */
@Epic("SDSAT reproduction")
@Feature("Speed gates: tests of the gates themselves")
class WallClockGateOfTheGateTest {
    @Test
    @DisplayName("prompt lookup that hides a second generation from its own clock fails the lookup k=3 speedup bound")
    void lookupHidingWorkFromItsClockFailsTheSpeedupBound() {
        ReproModel model = ReproModel.sdsat();
        // Its statistics are one generation's, honestly timed by its own clock: only the harness's clock sees the
        // redundant generation (half the speed).
        Decoder slowLookup = new Mutants.HidesWorkFromItsClock(Decoders.create("lookup", model.model(), model.satId()));
        SpeedGateTest.Timings timings = SpeedGateTest.timeInterleaved(
                model.model(), new AutoregressiveDecoder(model.model()), slowLookup, 3, Prompts.speed(model), 1);
        assertThatThrownBy(() -> SpeedGateTest.checkSpeedupLowerBound("lookup", 3, timings))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("lookup k=3: speedup (ratio of medians)")
                .hasMessageContaining("is below the floor speed.wallclock.minSpeedupLowerBound.lookup.k3");
    }

    @Test
    @DisplayName("SDSAT k=5 that hides a second generation from its own clock fails its regression-guard floor")
    void sdsatHidingWorkFromItsClockFailsItsFloor() {
        ReproModel model = ReproModel.sdsat();
        Decoder slow = new Mutants.HidesWorkFromItsClock(Decoders.create("sdsat", model.model(), model.satId()));
        SpeedGateTest.Timings timings = SpeedGateTest.timeInterleaved(
                model.model(), new AutoregressiveDecoder(model.model()), slow, 5, Prompts.speed(model), 1);
        assertThatThrownBy(() -> SpeedGateTest.checkSpeedupLowerBound("sdsat", 5, timings))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("is below the floor speed.wallclock.minSpeedupLowerBound.sdsat.k5");
    }

    @Test
    @DisplayName("the bootstrap bound excludes a decoder 37% slower and covers one of equal speed (±20% noise)")
    void bootstrapIntervalSeparatesSlowerFromEqual() {
        SplittableRandom random = new SplittableRandom(5);
        int prompts = Prompts.SPEED_PROMPTS;
        double[][] baseline = new double[prompts][2];
        double[][] equal = new double[prompts][2];
        double[][] slower = new double[prompts][2];
        for (int i = 0; i < prompts; i++) {
            double promptCost = 100 + 200 * random.nextDouble(); // prompts differ in length and cost
            for (int rep = 0; rep < 2; rep++) {
                baseline[i][rep] = promptCost * (0.8 + 0.4 * random.nextDouble());
                equal[i][rep] = promptCost * (0.8 + 0.4 * random.nextDouble());
                slower[i][rep] = promptCost / 0.63 * (0.8 + 0.4 * random.nextDouble());
            }
        }
        SpeedupInterval same = SpeedupInterval.bootstrap(baseline, equal, 0.95, 1);
        SpeedupInterval slow = SpeedupInterval.bootstrap(baseline, slower, 0.95, 1);
        assertThat(same.lower()).as("equal speed: %s", same.describe()).isLessThan(1.0);
        assertThat(same.upper()).as("equal speed: %s", same.describe()).isGreaterThan(1.0);
        assertThat(slow.upper()).as("37%% slower: %s", slow.describe()).isLessThan(1.0);
    }
}
