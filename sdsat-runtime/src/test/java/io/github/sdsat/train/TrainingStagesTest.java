package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stages: a phase cut into invocations by a deadline ({@link PhaseSettings.Builder#endStageAt}) ends each one with a saved
 * state and reaches exactly the losses and weights of one uninterrupted run, with one stage record per invocation.
 * The deadline is already past when each stage starts, so every invocation runs exactly one step (no wall clock
 * decides how many steps a stage takes in this test).
 */
class TrainingStagesTest {
    static final int STEPS = 5;

    private static TrainingPhase.Result run(
            Path state, long deadlineNanos, List<Float> finalWeights, ByteArrayOutputStream log) {
        return run(state, deadlineNanos, null, finalWeights, log);
    }

    private static TrainingPhase.Result run(
            Path state, long deadlineNanos, Path stopFile, List<Float> finalWeights, ByteArrayOutputStream log) {
        return run(state, deadlineNanos, stopFile, Long.MAX_VALUE, finalWeights, log);
    }

    private static TrainingPhase.Result run(
            Path state,
            long deadlineNanos,
            Path stopFile,
            long cutAtStep,
            List<Float> finalWeights,
            ByteArrayOutputStream log) {
        LlamaConfig config = TinyModels.config(32, 2, 4, 2, SatBlocksTest.VOCAB, false, 10000.0);
        PretrainingSamples samples = new PretrainingSamples(
                SatBlocksTest.randomCorpus(3, 10, 300), SatBlocksTest.FIM, 24, 0.3, 0.5, SatBlocksTest.PAD, 31);
        TrainingPhase phase = new TrainingPhase(PhaseSettings.builder("pretrain", "stages")
                .schedule(new LearningRateSchedule(5e-3, 2, STEPS, 0.1))
                .optimiser(new AdamW.Settings(0.9, 0.95, 1e-8, 0.1, 1.0))
                .batches(s -> samples.batch(s, 4))
                .heldOut(List.of(samples.batch(999, 2)))
                .stateFolder(state)
                .checkpointEvery(100)
                .evalEvery(100)
                .maxMinutes(1e6)
                .log(new PrintStream(log, true, StandardCharsets.UTF_8))
                .endStageAt(deadlineNanos)
                .endStageWhenExists(stopFile)
                .cutAtStep(cutAtStep)
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
    void stagesEndWithASavedStateAndTogetherEqualOneUninterruptedRun(@TempDir Path dir) throws Exception {
        List<Float> uninterruptedWeights = new ArrayList<>();
        TrainingPhase.Result uninterrupted =
                run(dir.resolve("whole"), Long.MAX_VALUE, uninterruptedWeights, new ByteArrayOutputStream());
        assertThat(uninterrupted.stageEnded()).isFalse();
        assertThat(uninterrupted.stages()).hasSize(1);

        Path state = dir.resolve("staged");
        List<Float> stagedWeights = new ArrayList<>();
        TrainingPhase.Result result = null;
        int invocations = 0;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        do {
            List<Float> weights = new ArrayList<>();
            result = run(state, System.nanoTime(), weights, log);
            invocations++;
            if (result.stageEnded()) {
                assertThat(weights)
                        .as("a stage that ends early hands no final weights on")
                        .isEmpty();
                assertThat(state.resolve("latest.json")).exists();
            } else {
                stagedWeights = weights;
            }
        } while (result.stageEnded() && invocations < 2 * STEPS);

        // the last step completes the phase, so it is not a stage that "ended early"
        assertThat(invocations).isEqualTo(STEPS);
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("stage 1 ends at step 1/5")
                .contains("run the same command again");
        for (int i = 0; i < STEPS; i++) {
            assertThat(result.history().get(i).loss())
                    .as("loss at step %d", i + 1)
                    .isEqualTo(uninterrupted.history().get(i).loss());
        }
        assertThat(stagedWeights).isEqualTo(uninterruptedWeights);
        assertThat(result.stages()).hasSize(STEPS);
        for (int i = 0; i < STEPS; i++) {
            TrainingPhase.StageRecord s = result.stages().get(i);
            assertThat(s.stage()).isEqualTo(i + 1);
            assertThat(s.fromStep()).isEqualTo(i);
            assertThat(s.toStep()).isEqualTo(i + 1);
            assertThat(s.tokens()).isEqualTo(4L * 24);
            assertThat(s.heldOutLoss()).isFinite();
            assertThat(s.threads()).isPositive();
        }
        // the saved state names no folder of this machine: it resumes wherever the folder is copied
        String latest = Files.readString(state.resolve("latest.json"));
        assertThat(latest).doesNotContain(dir.toString());
    }

    @Test
    void aStopFileEndsTheStageAfterTheRunningStepAndTheNextRunFinishes(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Path stop = dir.resolve("STOP-STAGE");
        Files.writeString(stop, "");
        TrainingPhase.Result first = run(state, Long.MAX_VALUE, stop, new ArrayList<>(), new ByteArrayOutputStream());
        assertThat(first.stageEnded()).isTrue();
        assertThat(first.steps()).isEqualTo(1);
        Files.delete(stop);
        List<Float> weights = new ArrayList<>();
        TrainingPhase.Result second = run(state, Long.MAX_VALUE, stop, weights, new ByteArrayOutputStream());
        assertThat(second.stageEnded()).isFalse();
        assertThat(second.steps()).isEqualTo(STEPS);
        assertThat(second.stages()).hasSize(2);
        assertThat(weights).isNotEmpty();
    }

    @Test
    void aCutEndsThePhaseAsCompleteAtThatStepOfTheFullSchedule(@TempDir Path dir) throws Exception {
        TrainingPhase.Result whole =
                run(dir.resolve("whole"), Long.MAX_VALUE, new ArrayList<>(), new ByteArrayOutputStream());
        List<Float> weights = new ArrayList<>();
        Path state = dir.resolve("cut");
        TrainingPhase.Result cut = run(state, Long.MAX_VALUE, null, 3, weights, new ByteArrayOutputStream());
        assertThat(cut.stageEnded()).isFalse();
        assertThat(weights).as("the cut model is handed on").isNotEmpty();
        assertThat(cut.steps()).isEqualTo(3);
        assertThat(cut.recipeSteps()).isEqualTo(STEPS);
        assertThat(cut.stoppedByTimeCap()).isFalse();
        for (int i = 0; i < 3; i++) {
            // same learning rates as the full schedule: the cut model is the full run's model at that step
            assertThat(cut.history().get(i).learningRate())
                    .isEqualTo(whole.history().get(i).learningRate());
            assertThat(cut.history().get(i).loss())
                    .isEqualTo(whole.history().get(i).loss());
        }
        // resuming the cut state with the same cut trains nothing more and hands the same weights on
        List<Float> again = new ArrayList<>();
        assertThat(run(state, Long.MAX_VALUE, null, 3, again, new ByteArrayOutputStream())
                        .steps())
                .isEqualTo(3);
        assertThat(again).isEqualTo(weights);
        // a cut before the saved step cannot be honoured
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> run(state, Long.MAX_VALUE, null, 2, new ArrayList<>(), new ByteArrayOutputStream()))
                .isInstanceOf(io.github.sdsat.SdsatException.class)
                .hasMessageContaining("past the cut at step 2");
    }

    @Test
    void aStageWithAnotherThreadCountIsWarnedAbout(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        String property = "ai.djl.pytorch.num_threads";
        String saved = System.getProperty(property);
        try {
            System.setProperty(property, "1");
            run(state, System.nanoTime(), new ArrayList<>(), new ByteArrayOutputStream());
            ByteArrayOutputStream sameLog = new ByteArrayOutputStream();
            run(state, System.nanoTime(), new ArrayList<>(), sameLog);
            assertThat(sameLog.toString(StandardCharsets.UTF_8)).doesNotContain("WARNING");
            System.setProperty(property, "3"); // only what the stage record says: the engine keeps its threads
            ByteArrayOutputStream otherLog = new ByteArrayOutputStream();
            run(state, System.nanoTime(), new ArrayList<>(), otherLog);
            assertThat(otherLog.toString(StandardCharsets.UTF_8))
                    .contains("previous stage ran with 1 PyTorch threads and this one with 3")
                    .contains("-Dai.djl.pytorch.num_threads=1");
        } finally {
            if (saved == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, saved);
            }
        }
    }
}
