package io.github.sdsat.train;

import ai.djl.ndarray.NDManager;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One optimisation phase (pretraining or SAT fine-tuning): the step loop with AdamW and a warmup+cosine schedule,
 * a progress log (loss, tokens/s, ETA), periodic held-out evaluation, and a training state on disk every
 * {@code checkpointEvery} steps from which a killed run resumes exactly ({@link PhaseStateFolder}; {@link State}:
 * step, tokens seen, elapsed time, loss history, recipe fingerprint). The random state is the step counter itself:
 * every data draw is a function of (seed, step). What the phase trains on and when it stops is a
 * {@link PhaseSettings}.
 *
 * <p>Time cap: after {@value #REPLAN_AFTER_STEPS} steps of a run the phase knows its step time; if the recipe's
 * steps would not fit in {@code maxMinutes}, the cosine schedule is shortened to end within the cap (once per
 * run, never lengthened; the shortened length is part of the saved state, so a resume continues it). A run that
 * was shortened records it; with the same step count it reproduces exactly.
 */
public final class TrainingPhase {
    /** One logged step. */
    public record StepRecord(
            long step,
            double loss,
            double standardLoss,
            double satLoss,
            double learningRate,
            double gradNorm,
            double seconds) {}

    /**
     * One held-out evaluation.
     *
     * @param satAgreement share of SAT inputs whose argmax equals the model's own argmax for the same place
     *     (the standard input predicting the same token): the draft greedy verification would accept
     */
    public record EvalRecord(
            long step,
            double standardLoss,
            double standardAccuracy,
            double satLoss,
            double satAccuracy,
            double satAgreement) {}

    /**
     * One stage: the steps one invocation ran before it ended (at the phase's end or at its stage deadline).
     *
     * @param trainingLoss mean training loss over the stage's last 10 steps
     * @param heldOutLoss  held-out standard-token loss at the stage's last step
     * @param threads      PyTorch intra-op threads (a resume is bit-identical only with the same count)
     * @param cpu          the processor's model name, for the same reason
     */
    public record StageRecord(
            int stage,
            long fromStep,
            long toStep,
            long tokens,
            double seconds,
            double trainingLoss,
            double heldOutLoss,
            int threads,
            String cpu,
            String endedAt) {}

    /** What {@code latest.json} holds. */
    public record State(
            String phase,
            String fingerprint,
            long step,
            String folder,
            long tokensSeen,
            double elapsedSeconds,
            List<StepRecord> history,
            List<EvalRecord> evaluations,
            int plannedSteps,
            List<StageRecord> stages) {}

    /**
     * The outcome of a completed (or time-capped) phase, or of a stage that ended before the phase did
     * ({@code stageEnded}: rerun to continue from the saved state).
     */
    public record Result(
            long steps,
            long tokensSeen,
            double wallSeconds,
            List<StepRecord> history,
            List<EvalRecord> evaluations,
            boolean stoppedByTimeCap,
            int recipeSteps,
            List<StageRecord> stages,
            boolean stageEnded) {
        /** Mean training loss over the last {@code n} steps. */
        public double finalTrainingLoss(int n) {
            return history.subList(Math.max(0, history.size() - n), history.size()).stream()
                    .mapToDouble(StepRecord::loss)
                    .average()
                    .orElse(Double.NaN);
        }
    }

    /** Steps timed before the schedule is fitted to the time cap. */
    static final int REPLAN_AFTER_STEPS = 20;

    private final PhaseSettings settings;
    private final String phase;
    private final PhaseStateFolder stateFolder;
    private final PrintStream log;
    private final LongSupplier nanoClock;

    public TrainingPhase(PhaseSettings settings) {
        this.settings = settings;
        this.phase = settings.phase();
        this.stateFolder = new PhaseStateFolder(settings.stateFolder(), settings.phase(), settings.fingerprint());
        this.log = settings.log();
        this.nanoClock = settings.nanoClock();
    }

    /** The saved state of this phase, if a matching one exists. */
    public Optional<State> savedState() {
        return stateFolder.latest();
    }

    /**
     * Runs the phase to its last step, resuming from the saved state if any.
     *
     * @param initial the parameters to start from when there is no saved state (consumed: closed by this call
     *     when a saved state replaces them)
     * @param done receives the final parameters before they are closed (not called when the stage ended early)
     */
    public Result run(LlamaConfig config, LlamaParameters initial, NDManager manager, Consumer<LlamaParameters> done) {
        Optional<State> saved = savedState();
        LlamaParameters params = initial;
        long startStep = 0;
        long tokensSeen = 0;
        double elapsedBefore = 0;
        List<StepRecord> history = new ArrayList<>();
        List<EvalRecord> evaluations = new ArrayList<>();
        List<StageRecord> stages = new ArrayList<>();
        Map<String, float[]> optimiserState = null;
        if (saved.isPresent()) {
            State s = saved.get();
            params = stateFolder.parameters(s, config, manager);
            initial.close();
            optimiserState = stateFolder.optimiserMoments(s);
            startStep = s.step();
            tokensSeen = s.tokensSeen();
            elapsedBefore = s.elapsedSeconds();
            history.addAll(s.history());
            evaluations.addAll(s.evaluations());
            if (s.stages() != null) {
                stages.addAll(s.stages());
            }
            log.printf(
                    "[%s] resuming from step %d (%s)%n",
                    phase, startStep, stateFolder.path().resolve(s.folder()));
            warnOnAnotherThreadCount(stages);
            if (s.step() >= s.plannedSteps() && s.plannedSteps() > 0) {
                log.printf("[%s] already complete at step %d%n", phase, s.step());
            }
        }
        int steps = settings.steps();
        long cutAtStep = settings.cutAtStep();
        double maxMinutes = settings.maxMinutes();
        boolean capped = false;
        boolean stageEnded = false;
        int planned = saved.map(State::plannedSteps).filter(n -> n > 0).orElse(steps);
        boolean replannedThisRun = false;
        try (TrainingStep step = new TrainingStep(params);
                AdamW adam =
                        new AdamW(settings.optimiser(), params.tensors(), AdamW.decaysLinearWeightsOnly(), manager)) {
            if (optimiserState != null) {
                adam.restore(optimiserState, startStep);
            }
            long runStart = nanoClock.getAsLong();
            long stepsThisRun = 0;
            if (startStep > cutAtStep) {
                throw new SdsatException("The " + phase + " state in " + stateFolder.path() + " is at step " + startStep
                        + ", past the cut at step " + cutAtStep + ": cut at a step it has not reached yet");
            }
            LearningRateSchedule schedule = settings.schedule();
            for (long s = startStep; s < Math.min(planned, cutAtStep); s++) {
                TrainingBatch batch = settings.batches().apply(s);
                double lr = new LearningRateSchedule(
                                schedule.peak(), schedule.warmupSteps(), planned, schedule.minRatio())
                        .at(s);
                double[] gradNorm = new double[1];
                long t0 = nanoClock.getAsLong();
                TrainingStep.Outcome out = step.trainOn(batch, g -> gradNorm[0] = adam.update(g, lr));
                double seconds = (nanoClock.getAsLong() - t0) / 1e9;
                if (!Double.isFinite(out.loss())) {
                    throw new IllegalStateException("[" + phase + "] loss is " + out.loss() + " at step " + (s + 1)
                            + ": training diverged; lower the learning rate");
                }
                tokensSeen += (long) batch.rows() * batch.length();
                stepsThisRun++;
                StepRecord record = new StepRecord(
                        s + 1,
                        out.loss(),
                        out.meanLoss(batch, TrainingBatch.STANDARD),
                        out.meanLoss(batch, TrainingBatch.SAT),
                        lr,
                        gradNorm[0],
                        seconds);
                history.add(record);
                double elapsed = elapsedBefore + (nanoClock.getAsLong() - runStart) / 1e9;
                if (!replannedThisRun && stepsThisRun == REPLAN_AFTER_STEPS) {
                    // Fit the schedule to the time cap once the step time is known, so that a slow (shared)
                    // machine still ends with a decayed learning rate instead of being cut off mid-schedule.
                    replannedThisRun = true;
                    double perStep = (nanoClock.getAsLong() - runStart) / 1e9 / stepsThisRun;
                    long fit = s + 1 + (long) (0.95 * (maxMinutes * 60 - elapsed) / perStep);
                    if (fit < planned) {
                        planned = (int) Math.max(s + 2, fit);
                        log.printf(
                                "[%s] %.2f s per step: %d steps do not fit the %.1f-minute cap; the schedule now "
                                        + "ends at step %d%n",
                                phase, perStep, steps, maxMinutes, planned);
                    }
                }
                if ((s + 1) % 10 == 0 || s == startStep || s + 1 == planned) {
                    double perStep = (nanoClock.getAsLong() - runStart) / 1e9 / stepsThisRun;
                    logProgress(s + 1, planned, record, batch, perStep, elapsed);
                }
                boolean last = s + 1 == planned || s + 1 == cutAtStep;
                capped = !last && elapsed / 60 > maxMinutes;
                stageEnded = !last
                        && !capped
                        && (nanoClock.getAsLong() >= settings.stageDeadlineNanos()
                                || (settings.stopFile() != null && Files.exists(settings.stopFile())));
                boolean ending = last || capped || stageEnded;
                if ((s + 1) % settings.evalEvery() == 0 || ending) {
                    EvalRecord e = HeldOutEvaluation.of(step, settings.heldOut(), s + 1);
                    evaluations.add(e);
                    logEvaluation(e);
                }
                if (ending) {
                    double runSeconds = (nanoClock.getAsLong() - runStart) / 1e9;
                    stages.add(new StageRecord(
                            stages.size() + 1,
                            startStep,
                            s + 1,
                            (long) batch.rows() * batch.length() * stepsThisRun,
                            runSeconds,
                            new Result(0, 0, 0, history, evaluations, false, 0, stages, false).finalTrainingLoss(10),
                            evaluations.get(evaluations.size() - 1).standardLoss(),
                            threads(),
                            cpuModel(),
                            Instant.now().toString()));
                }
                if ((s + 1) % settings.checkpointEvery() == 0 || ending) {
                    String folder = PhaseStateFolder.stepFolderName(s + 1);
                    stateFolder.save(
                            params,
                            adam,
                            new State(
                                    phase,
                                    settings.fingerprint(),
                                    s + 1,
                                    folder,
                                    tokensSeen,
                                    elapsed,
                                    history,
                                    evaluations,
                                    planned,
                                    stages));
                }
                if (stageEnded) {
                    log.printf(
                            "[%s] stage %d ends at step %d/%d (state saved in %s): run the same command again to "
                                    + "continue%n",
                            phase, stages.size(), s + 1, planned, stateFolder.path());
                    break;
                }
                if (capped) {
                    log.printf(
                            "[%s] stopping at step %d: the time cap of %.1f minutes is reached%n",
                            phase, s + 1, maxMinutes);
                    break;
                }
            }
            double wall = elapsedBefore + (nanoClock.getAsLong() - runStart) / 1e9;
            if (!stageEnded) {
                done.accept(params);
            }
            return new Result(
                    history.isEmpty() ? 0 : history.get(history.size() - 1).step(),
                    tokensSeen,
                    wall,
                    List.copyOf(history),
                    List.copyOf(evaluations),
                    capped || planned < steps,
                    steps,
                    List.copyOf(stages),
                    stageEnded);
        } finally {
            params.close();
        }
    }

    /** Bit-identical resumes need the thread count of the previous stage: says so when it differs. */
    private void warnOnAnotherThreadCount(List<StageRecord> stages) {
        if (!stages.isEmpty() && stages.get(stages.size() - 1).threads() != threads()) {
            int before = stages.get(stages.size() - 1).threads();
            log.printf(
                    "[%s] WARNING: the previous stage ran with %d PyTorch threads and this one with %d: "
                            + "floating-point sums depend on the thread count, so the run no longer repeats the "
                            + "recipe bit for bit; restart with -Dai.djl.pytorch.num_threads=%d to keep it so%n",
                    phase, before, threads(), before);
        }
    }

    private void logProgress(
            long step, int planned, StepRecord record, TrainingBatch batch, double perStep, double elapsed) {
        double tokensPerSecond = (double) batch.rows() * batch.length() / perStep;
        log.printf(
                "[%s] step %d/%d loss %.4f (standard %.4f%s) lr %.2e |g| %.2f  %.0f tokens/s  "
                        + "elapsed %s  ETA %s%n",
                phase,
                step,
                planned,
                record.loss(),
                record.standardLoss(),
                Double.isNaN(record.satLoss()) ? "" : String.format(", SAT %.4f", record.satLoss()),
                record.learningRate(),
                record.gradNorm(),
                tokensPerSecond,
                clock(elapsed),
                clock(perStep * (planned - step)));
    }

    private void logEvaluation(EvalRecord e) {
        log.printf(
                "[%s] held-out at step %d: standard loss %.4f acc %.3f%s%n",
                phase,
                e.step(),
                e.standardLoss(),
                e.standardAccuracy(),
                Double.isNaN(e.satLoss())
                        ? ""
                        : String.format(
                                ", SAT loss %.4f acc %.3f, agreement with own argmax %.3f",
                                e.satLoss(), e.satAccuracy(), e.satAgreement()));
    }

    static int threads() {
        return Integer.getInteger(
                "ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
    }

    /** The processor's model name (one reader of /proc/cpuinfo: Environment's), or os.arch where it is unknown. */
    static String cpuModel() {
        return java.util.Objects.requireNonNullElse(
                io.github.sdsat.results.Environment.cpuName(), System.getProperty("os.arch"));
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
