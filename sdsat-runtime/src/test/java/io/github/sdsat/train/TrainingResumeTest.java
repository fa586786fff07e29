package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingResumeTest {
    static final int STEPS = 8;

    /** Thrown by the data supplier to stand in for a kill between two steps. */
    static final class SimulatedKill extends RuntimeException {
        SimulatedKill() {
            super("simulated kill");
        }
    }

    private static TrainingPhase.Result run(Path state, LongFunction<TrainingBatch> batches, List<Float> finalWeights) {
        LlamaConfig config = TinyModels.config(32, 2, 4, 2, SatBlocksTest.VOCAB, false, 10000.0);
        PretrainingSamples samples = new PretrainingSamples(
                SatBlocksTest.randomCorpus(3, 10, 300), SatBlocksTest.FIM, 24, 0.3, 0.5, SatBlocksTest.PAD, 31);
        List<TrainingBatch> heldOut = List.of(samples.batch(999, 2));
        TrainingPhase phase = new TrainingPhase(PhaseSettings.builder("pretrain", "test")
                .schedule(new LearningRateSchedule(5e-3, 2, STEPS, 0.1))
                .optimiser(new AdamW.Settings(0.9, 0.95, 1e-8, 0.1, 1.0))
                .batches(batches != null ? batches : s -> samples.batch(s, 4))
                .heldOut(heldOut)
                .stateFolder(state)
                .checkpointEvery(3)
                .evalEvery(4)
                .maxMinutes(60.0)
                .log(new PrintStream(new ByteArrayOutputStream()))
                .build());
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            return phase.run(config, LlamaParameters.initialize(config, manager, 9, 0.05), manager, p -> {
                for (float f : p.get("model.layers.1.mlp.down_proj.weight").toFloatArray()) {
                    finalWeights.add(f);
                }
            });
        }
    }

    @Test
    void aRunKilledAfterACheckpointResumesToTheSameLossesAndWeights(@TempDir Path dir) {
        List<Float> uninterruptedWeights = new ArrayList<>();
        TrainingPhase.Result uninterrupted = run(dir.resolve("a"), null, uninterruptedWeights);
        assertThat(uninterrupted.history()).hasSize(STEPS);

        // killed while drawing the batch of step 6 (0-based 5): the last state is the one after step 3... or 6
        PretrainingSamples samples = new PretrainingSamples(
                SatBlocksTest.randomCorpus(3, 10, 300), SatBlocksTest.FIM, 24, 0.3, 0.5, SatBlocksTest.PAD, 31);
        Path state = dir.resolve("b");
        assertThatThrownBy(() -> run(
                        state,
                        s -> {
                            if (s == 5) {
                                throw new SimulatedKill();
                            }
                            return samples.batch(s, 4);
                        },
                        new ArrayList<>()))
                .isInstanceOf(SimulatedKill.class);
        assertThat(state.resolve("latest.json")).exists();
        assertThat(state.resolve("step-000003")).isDirectory();

        List<Float> resumedWeights = new ArrayList<>();
        TrainingPhase.Result resumed = run(state, null, resumedWeights);
        assertThat(resumed.history()).hasSize(STEPS);
        for (int i = 0; i < STEPS; i++) {
            assertThat(resumed.history().get(i).loss())
                    .as("loss at step %d", i + 1)
                    .isEqualTo(uninterrupted.history().get(i).loss());
        }
        assertThat(resumedWeights).isEqualTo(uninterruptedWeights);
        assertThat(resumed.tokensSeen()).isEqualTo(uninterrupted.tokensSeen());
        // only the newest state is kept
        try (var files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")))
                    .containsExactly("step-000008");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        // the loss fell over the run (so the comparison is of a run that learns)
        assertThat(uninterrupted.history().get(STEPS - 1).loss())
                .isLessThan(uninterrupted.history().get(0).loss());
    }

    @Test
    void aPhaseThatCannotFitItsTimeCapShortensItsScheduleAndSaysSo(@TempDir Path dir) {
        LlamaConfig config = TinyModels.config(32, 1, 4, 2, SatBlocksTest.VOCAB, true, 10000.0);
        PretrainingSamples samples = new PretrainingSamples(
                SatBlocksTest.randomCorpus(4, 10, 300), SatBlocksTest.FIM, 16, 0.0, 0.0, SatBlocksTest.PAD, 41);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // A step budget, not the wall clock: the phase's clock advances 0.1 s per batch drawn, so every step takes
        // exactly 0.1 s. With a 3 s cap the first 20 steps (2 s) fit; then 2000 steps do not, and the schedule is
        // refitted to end at step 20 + floor(0.95 x (3 - 2) / 0.1) = 29, on any machine.
        long[] fakeNanos = {0};
        TrainingPhase phase = new TrainingPhase(PhaseSettings.builder("pretrain", "cap")
                .schedule(new LearningRateSchedule(1e-3, 2, 2000, 0.1))
                .optimiser(new AdamW.Settings(0.9, 0.95, 1e-8, 0.1, 1.0))
                .batches(s -> {
                    fakeNanos[0] += 100_000_000L;
                    return samples.batch(s, 2);
                })
                .heldOut(List.of(samples.batch(999, 2)))
                .stateFolder(dir)
                .checkpointEvery(5000)
                .evalEvery(5000)
                .maxMinutes(3.0 / 60)
                .log(new PrintStream(log))
                .nanoClock(() -> fakeNanos[0])
                .build());
        TrainingPhase.Result result;
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            result = phase.run(config, LlamaParameters.initialize(config, manager, 9, 0.05), manager, p -> {});
        }
        assertThat(result.stoppedByTimeCap()).isTrue();
        assertThat(result.recipeSteps()).isEqualTo(2000);
        assertThat(result.steps()).as("steps of the refitted schedule").isEqualTo(29);
        assertThat(log.toString()).contains("the schedule now ends at step 29");
        // the shortened schedule decayed: the last step ran near the floor, not at the peak
        var last = result.history().get(result.history().size() - 1);
        assertThat(last.learningRate()).isLessThan(0.5e-3);
    }

    @Test
    void aStateFromAnotherRecipeIsRefusedWithAClearMessage(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir);
        TrainFiles.writeJson(
                dir.resolve("latest.json"),
                new TrainingPhase.State(
                        "pretrain", "other", 3, "step-000003", 10, 1.0, List.of(), List.of(), 0, List.of()));
        assertThatThrownBy(() -> run(dir, null, new ArrayList<>()))
                .hasMessageContaining("another recipe")
                .hasMessageContaining("delete that folder");
    }
}
