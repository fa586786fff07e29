package io.github.sdsat.accuracy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The line-completion stage as part of a reproduction run: its parameters and the base model the SDSAT model is
 * compared with. The base is {@code sdsat.baseModel} when given; the embedded base model when the run measures the
 * embedded SDSAT model (the pair was trained together); otherwise none, and the stage measures the SDSAT model alone
 * (its decoder check still gates, the comparison is reported as not enforced).
 *
 * @param config the stage's parameters
 * @param baseModel the base model folder, null for none
 * @param baseSource how {@code baseModel} was chosen, in words (for the log and results.json)
 */
public record LineCompletionRun(LineCompletionConfig config, Path baseModel, String baseSource) {

    /**
     * The stage for a run of {@code model}, compared with {@code explicitBase} if given.
     *
     * @param model the run's model folder (resolved)
     * @param explicitBase {@code sdsat.baseModel} resolved, or null
     */
    public static LineCompletionRun forModel(LineCompletionConfig config, Path model, Path explicitBase) {
        if (explicitBase != null) {
            return new LineCompletionRun(config, explicitBase, "sdsat.baseModel");
        }
        if (isEmbeddedSdsat(model)) {
            return new LineCompletionRun(
                    config,
                    EmbeddedModels.resolve(EmbeddedModels.BASE),
                    "the embedded base model, which the embedded SDSAT model was fine-tuned from");
        }
        return new LineCompletionRun(
                config, null, "none: set sdsat.baseModel to the model your SDSAT model was fine-tuned from");
    }

    private static boolean isEmbeddedSdsat(Path model) {
        try {
            return model.toAbsolutePath()
                    .normalize()
                    .equals(EmbeddedModels.resolve(EmbeddedModels.DEFAULT)
                            .toAbsolutePath()
                            .normalize());
        } catch (SdsatException e) {
            return false; // a build without the embedded model: nothing to pair with
        }
    }

    /**
     * Checks the parameters and the base folder and reads the items: before any model loads.
     *
     * @throws SdsatException naming every problem
     */
    public LineCompletionStage prepare() {
        if (baseModel != null && !Files.isDirectory(baseModel)) {
            throw new SdsatException("The line-completion base model " + baseModel.toAbsolutePath()
                    + " is not a folder: set sdsat.baseModel to a Hugging Face model folder or 'base' for the embedded"
                    + " one, or -Dsdsat.lineCompletion=false to skip the stage");
        }
        return LineCompletionStage.prepare(config);
    }

    /** Runs a prepared stage on the loaded SDSAT model; the base model is loaded on the same device and closed. */
    public LineCompletionStage.Result run(LineCompletionStage stage, LoadedModel sdsatModel, Consumer<String> log) {
        if (baseModel == null) {
            log.accept("Line completion: no base model (" + baseSource + "); measuring the SDSAT model alone");
            return stage.run(sdsatModel, null, log);
        }
        log.accept("Line completion: base model " + baseModel + " (" + baseSource + ")");
        try (LoadedModel base = LoadedModel.open(baseModel, sdsatModel.choice(), null)) {
            return stage.run(sdsatModel, base, log);
        }
    }

    /** The parameters and the base, for {@code results.json}'s {@code config.lineCompletion}. */
    public Map<String, Object> describe() {
        Map<String, Object> map = new LinkedHashMap<>(config.describe());
        map.put("baseModel", baseModel == null ? null : baseModel.toString());
        map.put("baseSource", baseSource);
        return map;
    }
}
