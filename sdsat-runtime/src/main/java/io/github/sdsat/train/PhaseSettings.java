package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * Everything one {@link TrainingPhase} is told: what it trains on, its schedule, where its state lives and when an
 * invocation stops. Build it with {@link #builder}: every setting is named at the call site.
 *
 * @param phase              the phase's name ({@code pretrain}, {@code sdsat}): log prefix and part of the state
 * @param fingerprint        hash of the settings and corpus the state depends on; a state of another is refused
 * @param schedule           warm-up + cosine; its {@code totalSteps} is the phase's planned length
 * @param optimiser          the AdamW settings
 * @param batches            the training batch of each 0-based step (a function of the step alone: resumable)
 * @param heldOut            the held-out batches of each evaluation
 * @param stateFolder        where {@code latest.json} and the {@code step-NNNNNN/} state are kept
 * @param checkpointEvery    the state is saved every this many steps (and when the invocation ends)
 * @param evalEvery          held-out evaluation every this many steps (and when the invocation ends)
 * @param maxMinutes         time cap of the whole phase: the schedule is shortened to fit it
 * @param stageDeadlineNanos {@link System#nanoTime()} at which this invocation's stage ends, state saved first;
 *     {@link Long#MAX_VALUE} = never
 * @param stopFile           a file whose appearance ends the stage after the running step (null = none)
 * @param cutAtStep          the phase ends, as if complete, after this step (a trend point cut from a longer
 *     schedule); {@link Long#MAX_VALUE} = never
 * @param log                progress lines
 * @param nanoClock          the clock of the time cap, the stage deadline and the step timings (tests drive it by
 *     training steps)
 */
public record PhaseSettings(
        String phase,
        String fingerprint,
        LearningRateSchedule schedule,
        AdamW.Settings optimiser,
        LongFunction<TrainingBatch> batches,
        List<TrainingBatch> heldOut,
        Path stateFolder,
        int checkpointEvery,
        int evalEvery,
        double maxMinutes,
        long stageDeadlineNanos,
        Path stopFile,
        long cutAtStep,
        PrintStream log,
        LongSupplier nanoClock) {

    public PhaseSettings {
        if (phase == null
                || fingerprint == null
                || schedule == null
                || optimiser == null
                || batches == null
                || heldOut == null
                || stateFolder == null
                || log == null
                || nanoClock == null) {
            throw new IllegalArgumentException("A training phase needs its name, fingerprint, schedule, optimiser, "
                    + "batches, held-out batches, state folder, log and clock; got phase " + phase + ", fingerprint "
                    + fingerprint + ", schedule " + schedule + ", optimiser " + optimiser + ", state folder "
                    + stateFolder + " (set each on the builder)");
        }
        if (heldOut.isEmpty()) {
            throw new IllegalArgumentException("The " + phase + " phase needs at least one held-out batch to "
                    + "evaluate on: pass the recipe's evaluation batches");
        }
        if (checkpointEvery < 1 || evalEvery < 1 || !(maxMinutes > 0)) {
            throw new IllegalArgumentException("The " + phase + " phase needs checkpointEvery and evalEvery >= 1 and "
                    + "a positive time cap; got " + checkpointEvery + ", " + evalEvery + ", " + maxMinutes);
        }
        if (cutAtStep < 1) {
            throw new SdsatException("The step to cut the " + phase + " phase at must be positive, got " + cutAtStep);
        }
        heldOut = List.copyOf(heldOut);
    }

    /** The steps the schedule plans (before a time cap shortens it). */
    public int steps() {
        return schedule.totalSteps();
    }

    /** A builder for the phase called {@code phase} whose saved state must carry {@code fingerprint}. */
    public static Builder builder(String phase, String fingerprint) {
        return new Builder(phase, fingerprint);
    }

    /** Names each setting; the stage controls default to "never" and the clock to {@link System#nanoTime()}. */
    public static final class Builder {
        private final String phase;
        private final String fingerprint;
        private LearningRateSchedule schedule;
        private AdamW.Settings optimiser;
        private LongFunction<TrainingBatch> batches;
        private List<TrainingBatch> heldOut;
        private Path stateFolder;
        private int checkpointEvery;
        private int evalEvery;
        private double maxMinutes;
        private long stageDeadlineNanos = Long.MAX_VALUE;
        private Path stopFile;
        private long cutAtStep = Long.MAX_VALUE;
        private PrintStream log;
        private LongSupplier nanoClock = System::nanoTime;

        private Builder(String phase, String fingerprint) {
            this.phase = phase;
            this.fingerprint = fingerprint;
        }

        public Builder schedule(LearningRateSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder optimiser(AdamW.Settings optimiser) {
            this.optimiser = optimiser;
            return this;
        }

        public Builder batches(LongFunction<TrainingBatch> batches) {
            this.batches = batches;
            return this;
        }

        public Builder heldOut(List<TrainingBatch> heldOut) {
            this.heldOut = heldOut;
            return this;
        }

        public Builder stateFolder(Path stateFolder) {
            this.stateFolder = stateFolder;
            return this;
        }

        public Builder checkpointEvery(int steps) {
            this.checkpointEvery = steps;
            return this;
        }

        public Builder evalEvery(int steps) {
            this.evalEvery = steps;
            return this;
        }

        public Builder maxMinutes(double minutes) {
            this.maxMinutes = minutes;
            return this;
        }

        /**
         * Ends this invocation at {@code deadlineNanos} ({@link System#nanoTime()}): the step running then completes,
         * the state is saved and {@link TrainingPhase#run} returns a result with {@code stageEnded}. Rerunning resumes
         * exactly there.
         */
        public Builder endStageAt(long deadlineNanos) {
            this.stageDeadlineNanos = deadlineNanos;
            return this;
        }

        /**
         * Also ends the stage, as {@link #endStageAt} does, as soon as {@code file} exists (checked after every step):
         * a running stage can be ended early without losing the steps since the last checkpoint. Null = no file.
         */
        public Builder endStageWhenExists(Path file) {
            this.stopFile = file;
            return this;
        }

        /**
         * Ends the phase after {@code step} as if it were complete, the learning rate still that of the full
         * schedule: an intermediate model of a long run (the trend of a quality against training tokens). Use it on a
         * copy of the training folder: the state saved at the cut would end the real run there too.
         */
        public Builder cutAtStep(long step) {
            this.cutAtStep = step;
            return this;
        }

        public Builder log(PrintStream log) {
            this.log = log;
            return this;
        }

        /** Another clock for the time cap, the stage deadline and the step timings (tests). */
        Builder nanoClock(LongSupplier clock) {
            this.nanoClock = clock;
            return this;
        }

        public PhaseSettings build() {
            return new PhaseSettings(
                    phase,
                    fingerprint,
                    schedule,
                    optimiser,
                    batches,
                    heldOut,
                    stateFolder,
                    checkpointEvery,
                    evalEvery,
                    maxMinutes,
                    stageDeadlineNanos,
                    stopFile,
                    cutAtStep,
                    log,
                    nanoClock);
        }
    }
}
