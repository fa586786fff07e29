package io.github.sdsat.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.LlamaArchitecture;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face model folder {@link Trainer} writes (config.json, tokenizer.json, tokenizer_config.json,
 * model.safetensors, MODEL_CARD.md), and the held-out bits per byte measured on it for its card.
 */
final class TrainedModelFolder {
    private TrainedModelFolder() {}

    /** Writes an HF model folder; config.json gets {@code sat_token_id} added. */
    static void write(
            Path folder,
            LlamaConfig config,
            Map<String, float[]> weights,
            Path tokenizerFolder,
            long satId,
            TrainingRecipe recipe,
            String modelCard) {
        try {
            Files.createDirectories(folder);
            Path configFile = folder.resolve("config.json");
            config.write(configFile);
            ObjectNode json = (ObjectNode) TrainFiles.JSON.readTree(configFile.toFile());
            json.put("sat_token_id", satId);
            TrainFiles.writeJson(configFile, json);
            for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
                AtomicFiles.write(
                        folder.resolve(name),
                        temporary -> Files.copy(
                                tokenizerFolder.resolve(name), temporary, StandardCopyOption.REPLACE_EXISTING));
            }
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot write the model folder " + folder.toAbsolutePath() + " (" + e.getMessage()
                            + "): check that it is writable",
                    e);
        }
        SafetensorsDtype dtype = SafetensorsDtype.valueOf(recipe.weightsDtype());
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = LlamaArchitecture.tensorShapes(config, weights::containsKey);
        // the size cap was checked against this config before training (Trainer.checkWeightsFit)
        for (Map.Entry<String, float[]> e : weights.entrySet()) {
            long[] shape = shapes.get(e.getKey());
            if (shape == null) {
                throw new IllegalStateException("the trained weights hold " + e.getKey() + ", which is no tensor of "
                        + "a Llama model with this configuration (LlamaArchitecture)");
            }
            tensors.put(e.getKey(), new SafetensorsWriter.Tensor(dtype, shape, e.getValue()));
        }
        SafetensorsWriter.write(folder.resolve("model.safetensors"), tensors);
        TrainFiles.writeText(folder.resolve("MODEL_CARD.md"), modelCard);
    }

    /**
     * Adds held-out bits per UTF-8 byte ({@link BitsPerByte}, comparable across tokenizers) to the model card: over
     * every held-out file, and over the held-out files of the CPython standard library alone.
     *
     * @param fromDebianPackages whether the corpus is the Debian-package one (its standard library is the
     *     {@code libpython} package); otherwise every held-out file is of the standard library
     */
    static void appendBitsPerByte(Path modelFolder, TrainingInputs in, boolean fromDebianPackages, PrintStream log) {
        List<String> stdlib = new ArrayList<>();
        for (int i = 0; i < in.heldOutFiles().size(); i++) {
            if (!fromDebianPackages || in.heldOutFiles().get(i).relativePath().startsWith("libpython")) {
                stdlib.add(in.heldOutTexts().get(i));
            }
        }
        StringBuilder b = new StringBuilder("\n## Held-out bits per byte\n\nNegative log-likelihood of whole "
                + "held-out files in bits per UTF-8 byte (`BitsPerByte`: " + BitsPerByte.WINDOW + "-token windows "
                + "overlapping by half), comparable between tokenizers:\n\n| files | count | bytes | tokens | bits per "
                + "byte | nats per token |\n|---|---|---|---|---|---|\n");
        long t0 = System.nanoTime();
        try (LoadedModel loaded = LoadedModel.open(modelFolder, DeviceChoice.resolve("cpu", "float32"), null)) {
            for (Map.Entry<String, List<String>> set : List.of(
                    Map.entry("every held-out file", in.heldOutTexts()),
                    Map.entry("held-out standard-library files", stdlib))) {
                if (!set.getValue().isEmpty()) {
                    BitsPerByte.Result r = BitsPerByte.of(loaded.model(), loaded.tokenizer(), set.getValue());
                    b.append(String.format(
                            "| %s | %d | %d | %d | %.4f | %.4f |%n",
                            set.getKey(), r.files(), r.bytes(), r.tokens(), r.bitsPerByte(), r.natsPerToken()));
                }
            }
        }
        log.printf(
                "[train] bits per byte of %s in %.1f s%n", modelFolder.getFileName(), (System.nanoTime() - t0) / 1e9);
        Path card = modelFolder.resolve("MODEL_CARD.md");
        TrainFiles.writeText(card, TrainFiles.readText(card) + b);
    }
}
