package io.github.sdsat.train;

import ai.djl.ndarray.NDManager;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsFile;
import io.github.sdsat.model.SafetensorsWriter;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * One optimisation phase (pretraining or SAT fine-tuning): the step loop with AdamW and a warmup+cosine schedule,
 * a progress log (loss, tokens/s, ETA), periodic held-out evaluation, and a training state on disk every
 * {@code checkpointEvery} steps from which a killed run resumes exactly.
 *
 * <p>State layout ({@code stateFolder}): {@code step-NNNNNN/params.safetensors} (F32),
 * {@code step-NNNNNN/optimizer.safetensors} (AdamW moments, F32) and {@code latest.json} (step, tokens seen, elapsed
 * time, loss history, recipe fingerprint), written last and atomically, so a kill at any moment leaves the previous
 * complete state. The random state is the step counter itself: every data draw is a function of (seed, step).
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

    private final String phase;
    private final String fingerprint;
    private final LearningRateSchedule schedule;
    private final AdamW.Settings optimiser;
    private final LongFunction<TrainingBatch> batches;
    private final List<TrainingBatch> heldOut;
    private final int steps;
    private final Path stateFolder;
    private final int checkpointEvery;
    private final int evalEvery;
    private final double maxMinutes;
    private final PrintStream log;
    /** {@link System#nanoTime()} at which this invocation's stage ends (saving state first); MAX_VALUE = never. */
    private long stageDeadlineNanos = Long.MAX_VALUE;
    /** A file whose appearance ends the stage after the running step (null = none). */
    private Path stopFile;
    /** The phase ends, as if complete, after this step (a trend point cut from a longer schedule); MAX = never. */
    private long cutAtStep = Long.MAX_VALUE;
    /** Nanosecond clock of the time cap, the stage deadline and step timings; tests drive it by training steps. */
    java.util.function.LongSupplier nanoClock = System::nanoTime;

    public TrainingPhase(
            String phase,
            String fingerprint,
            LearningRateSchedule schedule,
            AdamW.Settings optimiser,
            LongFunction<TrainingBatch> batches,
            List<TrainingBatch> heldOut,
            int steps,
            Path stateFolder,
            int checkpointEvery,
            int evalEvery,
            double maxMinutes,
            PrintStream log) {
        this.phase = phase;
        this.fingerprint = fingerprint;
        this.schedule = schedule;
        this.optimiser = optimiser;
        this.batches = batches;
        this.heldOut = heldOut;
        this.steps = steps;
        this.stateFolder = stateFolder;
        this.checkpointEvery = checkpointEvery;
        this.evalEvery = evalEvery;
        this.maxMinutes = maxMinutes;
        this.log = log;
    }

    /**
     * Ends this invocation at {@code deadlineNanos} ({@link System#nanoTime()}): the step running then completes,
     * the state is saved and {@link #run} returns a result with {@code stageEnded}. Rerunning resumes exactly there.
     */
    public TrainingPhase endStageAt(long deadlineNanos) {
        this.stageDeadlineNanos = deadlineNanos;
        return this;
    }

    /**
     * Also ends the stage, as {@link #endStageAt} does, as soon as {@code file} exists (checked after every step):
     * a running stage can be ended early without losing the steps since the last checkpoint.
     */
    public TrainingPhase endStageWhenExists(Path file) {
        this.stopFile = file;
        return this;
    }

    /**
     * Ends the phase after {@code step} as if it were complete, the learning rate still that of the full schedule:
     * an intermediate model of a long run (the trend of a quality against training tokens). Use it on a copy of the
     * training folder: the state saved at the cut would end the real run there too.
     */
    public TrainingPhase cutAtStep(long step) {
        if (step < 1) {
            throw new SdsatException("The step to cut the " + phase + " phase at must be positive, got " + step);
        }
        this.cutAtStep = step;
        return this;
    }

    /** The saved state of this phase, if a matching one exists. */
    public java.util.Optional<State> savedState() {
        Path latest = stateFolder.resolve("latest.json");
        if (!Files.isRegularFile(latest)) {
            return java.util.Optional.empty();
        }
        State s = TrainFiles.readJson(latest, State.class);
        if (!s.fingerprint().equals(fingerprint) || !s.phase().equals(phase)) {
            throw new SdsatException("The training state in " + stateFolder.toAbsolutePath() + " was made by "
                    + "another recipe or phase (" + s.phase() + ", fingerprint " + s.fingerprint() + "; this run: "
                    + phase + ", " + fingerprint + "): delete that folder to start over, or rerun with the recipe "
                    + "that made it");
        }
        return java.util.Optional.of(s);
    }

    /**
     * Runs the phase to its last step, resuming from the saved state if any.
     *
     * @param initial the parameters to start from when there is no saved state (consumed: closed by this call
     *     when a saved state replaces them)
     * @param done receives the final parameters before they are closed
     */
    public Result run(
            LlamaConfig config,
            LlamaParameters initial,
            NDManager manager,
            java.util.function.Consumer<LlamaParameters> done) {
        java.util.Optional<State> saved = savedState();
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
            Path folder = stateFolder.resolve(s.folder());
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("params.safetensors"))) {
                params = LlamaParameters.load(config, file, manager);
            }
            initial.close();
            optimiserState = new LinkedHashMap<>();
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("optimizer.safetensors"))) {
                for (String name : file.tensorNames()) {
                    java.nio.FloatBuffer b = file.tensor(name);
                    float[] data = new float[b.remaining()];
                    b.get(data);
                    optimiserState.put(name, data);
                }
            }
            startStep = s.step();
            tokensSeen = s.tokensSeen();
            elapsedBefore = s.elapsedSeconds();
            history.addAll(s.history());
            evaluations.addAll(s.evaluations());
            if (s.stages() != null) {
                stages.addAll(s.stages());
            }
            log.printf("[%s] resuming from step %d (%s)%n", phase, startStep, folder);
            if (!stages.isEmpty() && stages.get(stages.size() - 1).threads() != threads()) {
                int before = stages.get(stages.size() - 1).threads();
                log.printf(
                        "[%s] WARNING: the previous stage ran with %d PyTorch threads and this one with %d: "
                                + "floating-point sums depend on the thread count, so the run no longer repeats the "
                                + "recipe bit for bit; restart with -Dai.djl.pytorch.num_threads=%d to keep it so%n",
                        phase, before, threads(), before);
            }
        }
        boolean capped = false;
        boolean stageEnded = false;
        if (saved.isPresent()
                && saved.get().step() >= saved.get().plannedSteps()
                && saved.get().plannedSteps() > 0) {
            log.printf("[%s] already complete at step %d%n", phase, saved.get().step());
        }
        int planned = saved.map(State::plannedSteps).filter(n -> n > 0).orElse(steps);
        boolean replannedThisRun = false;
        try (TrainingStep step = new TrainingStep(params);
                AdamW adam = new AdamW(optimiser, params.tensors(), AdamW.decaysLinearWeightsOnly(), manager)) {
            if (optimiserState != null) {
                adam.restore(optimiserState, startStep);
            }
            long runStart = nanoClock.getAsLong();
            long stepsThisRun = 0;
            if (startStep > cutAtStep) {
                throw new SdsatException("The " + phase + " state in " + stateFolder + " is at step " + startStep
                        + ", past the cut at step " + cutAtStep + ": cut at a step it has not reached yet");
            }
            for (long s = startStep; s < Math.min(planned, cutAtStep); s++) {
                TrainingBatch batch = batches.apply(s);
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
                    double runSeconds = (nanoClock.getAsLong() - runStart) / 1e9;
                    double perStep = runSeconds / stepsThisRun;
                    double tokensPerSecond = (double) batch.rows() * batch.length() / perStep;
                    log.printf(
                            "[%s] step %d/%d loss %.4f (standard %.4f%s) lr %.2e |g| %.2f  %.0f tokens/s  "
                                    + "elapsed %s  ETA %s%n",
                            phase,
                            s + 1,
                            planned,
                            out.loss(),
                            record.standardLoss(),
                            Double.isNaN(record.satLoss()) ? "" : String.format(", SAT %.4f", record.satLoss()),
                            lr,
                            gradNorm[0],
                            tokensPerSecond,
                            clock(elapsed),
                            clock(perStep * (planned - s - 1)));
                }
                boolean last = s + 1 == planned || s + 1 == cutAtStep;
                capped = !last && elapsed / 60 > maxMinutes;
                stageEnded = !last
                        && !capped
                        && (nanoClock.getAsLong() >= stageDeadlineNanos
                                || (stopFile != null && Files.exists(stopFile)));
                boolean ending = last || capped || stageEnded;
                if ((s + 1) % evalEvery == 0 || ending) {
                    EvalRecord e = evaluate(step, s + 1);
                    evaluations.add(e);
                    log.printf(
                            "[%s] held-out at step %d: standard loss %.4f acc %.3f%s%n",
                            phase,
                            s + 1,
                            e.standardLoss(),
                            e.standardAccuracy(),
                            Double.isNaN(e.satLoss())
                                    ? ""
                                    : String.format(
                                            ", SAT loss %.4f acc %.3f, agreement with own argmax %.3f",
                                            e.satLoss(), e.satAccuracy(), e.satAgreement()));
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
                            java.time.Instant.now().toString()));
                }
                if ((s + 1) % checkpointEvery == 0 || ending) {
                    save(params, adam, s + 1, tokensSeen, elapsed, history, evaluations, planned, stages);
                }
                if (stageEnded) {
                    log.printf(
                            "[%s] stage %d ends at step %d/%d (state saved in %s): run the same command again to "
                                    + "continue%n",
                            phase, stages.size(), s + 1, planned, stateFolder);
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

    private EvalRecord evaluate(TrainingStep step, long at) {
        double[] sums = new double[4];
        int[] counts = new int[4];
        double agreement = 0;
        int agreementBatches = 0;
        for (TrainingBatch b : heldOut) {
            TrainingStep.Outcome o = step.evaluate(b);
            double a = o.teacherAgreement(b, TrainingBatch.SAT);
            if (!Double.isNaN(a)) {
                agreement += a;
                agreementBatches++;
            }
            for (int i = 0; i < b.kinds().length; i++) {
                int k = b.kinds()[i] == TrainingBatch.STANDARD ? 0 : b.kinds()[i] == TrainingBatch.SAT ? 2 : -1;
                if (k >= 0) {
                    sums[k] += o.crossEntropy()[i];
                    sums[k + 1] += o.argmaxCorrect()[i] ? 1 : 0;
                    counts[k]++;
                }
            }
        }
        return new EvalRecord(
                at,
                sums[0] / counts[0],
                sums[1] / counts[0],
                counts[2] == 0 ? Double.NaN : sums[2] / counts[2],
                counts[2] == 0 ? Double.NaN : sums[3] / counts[2],
                agreementBatches == 0 ? Double.NaN : agreement / agreementBatches);
    }

    private void save(
            LlamaParameters params,
            AdamW adam,
            long step,
            long tokensSeen,
            double elapsed,
            List<StepRecord> history,
            List<EvalRecord> evaluations,
            int planned,
            List<StageRecord> stages) {
        String name = String.format("step-%06d", step);
        Path folder = stateFolder.resolve(name);
        SafetensorsWriter.write(folder.resolve("params.safetensors"), f32(params.toFloatArrays(), params));
        Map<String, SafetensorsWriter.Tensor> moments = new LinkedHashMap<>();
        adam.stateArrays()
                .forEach((k, v) ->
                        moments.put(k, new SafetensorsWriter.Tensor(SafetensorsDtype.F32, new long[] {v.length}, v)));
        SafetensorsWriter.write(folder.resolve("optimizer.safetensors"), moments);
        TrainFiles.writeJson(
                stateFolder.resolve("latest.json"),
                new State(phase, fingerprint, step, name, tokensSeen, elapsed, history, evaluations, planned, stages));
        try (java.util.stream.Stream<Path> old = Files.list(stateFolder)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("step-")
                            && !p.getFileName().toString().equals(name))
                    .toList()) {
                TrainFiles.deleteRecursively(p);
            }
        } catch (java.io.IOException e) {
            throw new SdsatException("Cannot list " + stateFolder + ": " + e.getMessage(), e);
        }
    }

    static Map<String, SafetensorsWriter.Tensor> f32(Map<String, float[]> arrays, LlamaParameters params) {
        Map<String, SafetensorsWriter.Tensor> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(
                k,
                new SafetensorsWriter.Tensor(
                        SafetensorsDtype.F32, params.get(k).getShape().getShape(), v)));
        return out;
    }

    static int threads() {
        return Integer.getInteger(
                "ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
    }

    /** The processor's model name from /proc/cpuinfo, or os.arch where that file does not exist. */
    static String cpuModel() {
        try (java.util.stream.Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .orElse(System.getProperty("os.arch"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
