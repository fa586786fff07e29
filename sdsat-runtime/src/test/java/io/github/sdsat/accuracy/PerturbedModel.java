package io.github.sdsat.accuracy;

import io.github.sdsat.model.Checkpoint;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A mutant of a model folder for the gates' tests: every weight tensor gets Gaussian noise of {@code scale} times the
 * tensor's own standard deviation (fixed seed), so every layer is hurt in proportion; tokenizer and config are
 * copied unchanged.
 */
final class PerturbedModel {
    private PerturbedModel() {}

    static Path write(Path source, Path target, double scale, long seed) throws IOException {
        Files.createDirectories(target);
        for (String file : EmbeddedModels.FILES) {
            if (!file.equals(Checkpoint.SINGLE_WEIGHTS_FILE) && Files.isRegularFile(source.resolve(file))) {
                Files.copy(source.resolve(file), target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(source)) {
            for (String name : checkpoint.tensorNames()) {
                long[] shape = checkpoint.info(name).shape();
                FloatBuffer buffer = checkpoint.tensor(name);
                float[] data = new float[buffer.remaining()];
                buffer.get(data);
                double sum = 0;
                double squares = 0;
                for (float v : data) {
                    sum += v;
                    squares += (double) v * v;
                }
                double mean = sum / data.length;
                double std = Math.sqrt(Math.max(0, squares / data.length - mean * mean));
                // norm weights are near-constant (std ~ 0): scale them by their magnitude instead
                double sigma = scale * (std > 1e-3 * Math.abs(mean) ? std : Math.abs(mean));
                for (int i = 0; i < data.length; i++) {
                    data[i] += (float) (sigma * gaussian(random));
                }
                tensors.put(name, new SafetensorsWriter.Tensor(SafetensorsDtype.F32, shape, data));
            }
        }
        SafetensorsWriter.write(target.resolve(Checkpoint.SINGLE_WEIGHTS_FILE), tensors);
        return target;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
