package io.github.sdsat.accuracy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameters of the accuracy stage ({@code -Dsdsat.accuracy=true} and the {@code sdsat.accuracy*} properties).
 * The decoders, k and the SDSAT model come from the reproduction run the stage belongs to.
 *
 * @param baseModel the base model folder to compare with (resolved), null to measure the SDSAT model alone
 * @param dataLimit leading fraction of HumanEval's 164 problems, in (0, 1]
 * @param maxNewTokens new tokens per completion (fewer where the prompt leaves less room in the context)
 * @param margin the largest drop of the SDSAT model's greedy pass@1 below the base model's that the gate accepts
 * @param samples completions per problem of the sampling rows (n of pass@k); 0 runs greedy rows only
 * @param samplingTemperature temperature of the sampling rows (the Codex paper's 0.2 for pass@1)
 * @param python the interpreter ({@code python3} on the PATH, or a path)
 * @param timeout wall-clock limit of one problem's program
 * @param parallelism programs run at once
 */
public record AccuracyConfig(
        Path baseModel,
        double dataLimit,
        int maxNewTokens,
        double margin,
        int samples,
        double samplingTemperature,
        String python,
        Duration timeout,
        int parallelism) {

    public static final double DEFAULT_DATA_LIMIT = 1.0;
    /** One problem of 164 is 0.6 points; 2 points lets a model differ on about three problems. */
    public static final double DEFAULT_MARGIN = 0.02;

    public static final double DEFAULT_SAMPLING_TEMPERATURE = 0.2;
    public static final int DEFAULT_PARALLELISM = 2;

    /** A program time limit given in seconds (as {@code sdsat.accuracyTimeout} is), to the millisecond. */
    public static Duration timeoutOfSeconds(double seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    /** The parameters by name, as written to {@code results.json}'s {@code config.accuracy}. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
        map.put("baseModel", baseModel == null ? null : baseModel.toString());
        map.put("dataLimit", dataLimit);
        map.put("maxNewTokens", maxNewTokens);
        map.put("margin", margin);
        map.put("samples", samples);
        map.put("samplingTemperature", samplingTemperature);
        map.put("python", python);
        map.put("timeoutMs", timeout == null ? null : timeout.toMillis());
        map.put("parallelism", parallelism);
        return map;
    }

    /** Every problem with the parameter's name and the fix; empty when the configuration is valid. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!(dataLimit > 0.0 && dataLimit <= 1.0)) {
            problems.add("sdsat.accuracyDataLimit " + dataLimit + " is outside (0, 1]: give the share of HumanEval"
                    + " to run, e.g. 1 (all 164 problems)");
        }
        if (maxNewTokens < 1) {
            problems.add("sdsat.accuracyMaxNewTokens " + maxNewTokens + " must be at least 1, e.g. 256");
        }
        if (!(margin >= 0.0 && margin <= 1.0)) {
            problems.add("sdsat.accuracyMargin " + margin + " is outside [0, 1]: give the largest acceptable drop of"
                    + " pass@1, e.g. 0.02");
        }
        if (samples < 0) {
            problems.add("sdsat.accuracySamples " + samples + " is negative: give 0 (greedy only) or n > 0");
        }
        if (samples > 0 && !(samplingTemperature > 0.0) || Double.isInfinite(samplingTemperature)) {
            problems.add("sdsat.accuracyTemperature " + samplingTemperature + " must be above 0 for sampling rows,"
                    + " e.g. 0.2");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            problems.add("sdsat.accuracyTimeout " + timeout + " must be positive, e.g. 3 (seconds)");
        }
        if (parallelism < 1) {
            problems.add("sdsat.accuracyParallelism " + parallelism + " must be at least 1, e.g. 2");
        }
        if (baseModel != null && !baseModel.toFile().isDirectory()) {
            problems.add("sdsat.baseModel " + baseModel.toAbsolutePath() + " is not a folder: give a Hugging Face"
                    + " model folder (config.json, tokenizer.json, model.safetensors) or 'base' for the embedded one");
        }
        return problems;
    }
}
