package io.github.sdsat.train;

import ai.djl.ndarray.NDManager;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaParameters;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsFile;
import io.github.sdsat.model.SafetensorsWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The saved state of one training phase: {@code step-NNNNNN/params.safetensors} (F32),
 * {@code step-NNNNNN/optimizer.safetensors} (AdamW moments, F32) and {@code latest.json} ({@link TrainingPhase.State}),
 * written last and atomically, so a kill at any moment leaves the previous complete state. Only the newest step
 * folder is kept.
 */
final class PhaseStateFolder {
    private final Path folder;
    private final String phase;
    private final String fingerprint;

    PhaseStateFolder(Path folder, String phase, String fingerprint) {
        this.folder = folder;
        this.phase = phase;
        this.fingerprint = fingerprint;
    }

    Path path() {
        return folder;
    }

    /** The saved state of this phase, if one exists; a state of another recipe or phase is refused. */
    Optional<TrainingPhase.State> latest() {
        Path latest = folder.resolve("latest.json");
        if (!Files.isRegularFile(latest)) {
            return Optional.empty();
        }
        TrainingPhase.State s = TrainFiles.readJson(latest, TrainingPhase.State.class);
        if (!s.fingerprint().equals(fingerprint) || !s.phase().equals(phase)) {
            throw new SdsatException("The training state in " + folder.toAbsolutePath() + " was made by "
                    + "another recipe or phase (" + s.phase() + ", fingerprint " + s.fingerprint() + "; this run: "
                    + phase + ", " + fingerprint + "): delete that folder to start over, or rerun with the recipe "
                    + "that made it");
        }
        return Optional.of(s);
    }

    /** The parameters saved with {@code state}. */
    LlamaParameters parameters(TrainingPhase.State state, LlamaConfig config, NDManager manager) {
        try (SafetensorsFile file =
                SafetensorsFile.open(folder.resolve(state.folder()).resolve("params.safetensors"))) {
            return LlamaParameters.load(config, file, manager);
        }
    }

    /** The AdamW moments saved with {@code state}, by tensor name (flat arrays). */
    Map<String, float[]> optimiserMoments(TrainingPhase.State state) {
        Map<String, float[]> moments = new LinkedHashMap<>();
        try (SafetensorsFile file =
                SafetensorsFile.open(folder.resolve(state.folder()).resolve("optimizer.safetensors"))) {
            for (String name : file.tensorNames()) {
                FloatBuffer b = file.tensor(name);
                float[] data = new float[b.remaining()];
                b.get(data);
                moments.put(name, data);
            }
        }
        return moments;
    }

    /** Saves the parameters, the optimiser moments and then {@code state}; removes older step folders. */
    void save(LlamaParameters params, AdamW adam, TrainingPhase.State state) {
        Path stepFolder = folder.resolve(state.folder());
        SafetensorsWriter.write(stepFolder.resolve("params.safetensors"), f32(params.toFloatArrays(), params));
        Map<String, SafetensorsWriter.Tensor> moments = new LinkedHashMap<>();
        adam.stateArrays()
                .forEach((k, v) ->
                        moments.put(k, new SafetensorsWriter.Tensor(SafetensorsDtype.F32, new long[] {v.length}, v)));
        SafetensorsWriter.write(stepFolder.resolve("optimizer.safetensors"), moments);
        TrainFiles.writeJson(folder.resolve("latest.json"), state);
        try (Stream<Path> old = Files.list(folder)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("step-")
                            && !p.getFileName().toString().equals(state.folder()))
                    .toList()) {
                TrainFiles.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw new SdsatException("Cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    /** The name of the step folder of the state after {@code step}. */
    static String stepFolderName(long step) {
        return String.format("step-%06d", step);
    }

    private static Map<String, SafetensorsWriter.Tensor> f32(Map<String, float[]> arrays, LlamaParameters params) {
        Map<String, SafetensorsWriter.Tensor> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(
                k,
                new SafetensorsWriter.Tensor(
                        SafetensorsDtype.F32, params.get(k).getShape().getShape(), v)));
        return out;
    }
}
