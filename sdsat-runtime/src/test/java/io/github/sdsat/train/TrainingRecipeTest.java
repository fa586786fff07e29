package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainingRecipeTest {

    private static void assertOnlyChanged(TrainingRecipe before, TrainingRecipe after, Set<String> changed)
            throws Exception {
        for (RecordComponent c : TrainingRecipe.class.getRecordComponents()) {
            if (!changed.contains(c.getName())) {
                assertThat(c.getAccessor().invoke(after))
                        .as(c.getName())
                        .isEqualTo(c.getAccessor().invoke(before));
            }
        }
    }

    @Test
    void copiesChangeOnlyTheNamedSettings() throws Exception {
        TrainingRecipe staged = TrainingRecipe.staged();
        TrainingRecipe steps = staged.withSteps(7, 9);
        assertThat(steps.pretrainSteps()).isEqualTo(7);
        assertThat(steps.satSteps()).isEqualTo(9);
        assertOnlyChanged(staged, steps, Set.of("pretrainSteps", "satSteps"));

        TrainingRecipe tuning = staged.withSatTuning(11, 64, 0.5, 3.0);
        assertThat(tuning.satTokensPerRow()).isEqualTo(64);
        assertThat(tuning.satDistillation()).isEqualTo(0.5);
        assertThat(tuning.satMaxMinutes()).isEqualTo(3.0);
        assertOnlyChanged(staged, tuning, Set.of("satSteps", "satTokensPerRow", "satDistillation", "satMaxMinutes"));

        assertOnlyChanged(staged, staged.withCheckpointEvery(3), Set.of("checkpointEvery"));
        assertThat(staged.withCheckpointEvery(3).checkpointEvery()).isEqualTo(3);
    }

    @Test
    void satSettingsChangeWithoutTouchingThePretrainingFingerprint() throws Exception {
        TrainingRecipe staged = TrainingRecipe.staged();
        TrainingRecipe gentler = staged.withSatSettings(java.util.Map.of("satPeakLr", 1e-4, "satLossWeight", 0.5));
        assertThat(gentler.satPeakLr()).isEqualTo(1e-4);
        assertThat(gentler.satLossWeight()).isEqualTo(0.5);
        assertOnlyChanged(staged, gentler, Set.of("satPeakLr", "satLossWeight"));
        assertThat(gentler.pretrainingSettings()).isEqualTo(staged.pretrainingSettings());
        assertThatThrownBy(() -> staged.withSatSettings(java.util.Map.of("peakLr", 1e-4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("peakLr is not a SAT fine-tuning setting");
    }

    @Test
    void aCopyIsCheckedLikeANewRecipe() {
        assertThatThrownBy(() -> TrainingRecipe.staged().withSteps(0, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Step counts");
        assertThatThrownBy(() -> TrainingRecipe.staged().withSatTuning(10, 2000, 0.5, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds maxPositions");
    }

    @Test
    void anotherShapeChangesOnlyTheShapeAndBadShapesAreRefused() throws Exception {
        TrainingRecipe staged = TrainingRecipe.staged();
        TrainingRecipe larger = staged.withShape("384:6:6:1024");
        assertOnlyChanged(
                staged, larger, Set.of("hiddenSize", "numLayers", "numHeads", "numKvHeads", "intermediateSize"));
        assertThat(larger.modelConfig(4096, 1, 2).hiddenSize()).isEqualTo(384);
        assertThat(larger.pretrainingSettings()).isNotEqualTo(staged.pretrainingSettings());
        assertOnlyChanged(staged, staged.withPretrainSteps(900), Set.of("pretrainSteps"));
        assertThatThrownBy(() -> staged.withShape("384x6"))
                .isInstanceOf(io.github.sdsat.SdsatException.class)
                .hasMessageContaining("HIDDEN:LAYERS:HEADS:INTERMEDIATE");
        assertThatThrownBy(() -> staged.withShape("384:6:5:1024"))
                .isInstanceOf(io.github.sdsat.SdsatException.class)
                .hasMessageContaining("must split into 5 heads");
        assertThatThrownBy(() -> staged.withPretrainSteps(100))
                .isInstanceOf(io.github.sdsat.SdsatException.class)
                .hasMessageContaining("warm-up of 200");
    }

    @Test
    void theWeightsCapCountsTheDtype() {
        TrainingRecipe larger = TrainingRecipe.staged().withShape("384:6:6:1024"); // 12.19M parameters
        assertThatThrownBy(() -> Trainer.checkWeightsFit(larger.modelConfig(4096, 1, 2), larger))
                .isInstanceOf(io.github.sdsat.SdsatException.class)
                .hasMessageContaining("48778752 bytes of F32")
                .hasMessageContaining("--weights-dtype F16");
        TrainingRecipe halved = larger.withWeightsDtype("F16");
        Trainer.checkWeightsFit(halved.modelConfig(4096, 1, 2), halved);
        Trainer.checkWeightsFit(TrainingRecipe.staged().modelConfig(4096, 1, 2), TrainingRecipe.staged());
        assertThatThrownBy(() -> larger.withWeightsDtype("BF16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weightsDtype must be F32 or F16");
    }

    @Test
    void theModelCardNamesWhatARunChangedFromItsRecipe() {
        assertThat(Trainer.changedFromNamedRecipe(TrainingRecipe.staged())).isEmpty();
        TrainingRecipe run = TrainingRecipe.staged().withShape("384:6:6:1024").withPretrainSteps(600);
        assertThat(Trainer.changedFromNamedRecipe(run))
                .containsExactly(
                        "hiddenSize 256 -> 384",
                        "intermediateSize 688 -> 1024",
                        "numLayers 4 -> 6",
                        "numHeads 4 -> 6",
                        "numKvHeads 4 -> 6",
                        "pretrainSteps 12000 -> 600");
    }
}
