package io.github.sdsat.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Hugging Face model folder: {@code config.json} and the weights in {@code model.safetensors}, or in shards
 * listed by {@code model.safetensors.index.json}. Headers are read and validated on open; tensor data is
 * memory-mapped per tensor on request. Closing releases the files.
 */
public final class Checkpoint implements WeightSource, TensorBytes, AutoCloseable {

    public static final String CONFIG_FILE = "config.json";
    public static final String SINGLE_WEIGHTS_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final String EXPECTED_CONTENTS = "expected config.json, tokenizer.json and model.safetensors "
            + "(or model.safetensors.index.json with shards)";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;
    private final LlamaConfig config;
    private final List<SafetensorsFile> files;
    /** Tensor name to the file that holds it, in the order of the single file or of the index's weight_map. */
    private final Map<String, SafetensorsFile> fileOfTensor;

    private Checkpoint(
            Path folder, LlamaConfig config, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOfTensor) {
        this.folder = folder;
        this.config = config;
        this.files = files;
        this.fileOfTensor = fileOfTensor;
    }

    /**
     * Opens a model folder: reads config.json and the headers of all weight files.
     *
     * @throws SdsatException naming the folder or file and what is missing or corrupt
     */
    public static Checkpoint open(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new SdsatException(
                    folder + (Files.exists(folder) ? " is a file, not a model folder" : " does not exist")
                            + "; give the Hugging Face model folder: " + EXPECTED_CONTENTS);
        }
        Path configJson = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configJson)) {
            throw new SdsatException(
                    folder + " is not a Hugging Face model folder: config.json missing; " + EXPECTED_CONTENTS);
        }
        LlamaConfig config = LlamaConfig.load(configJson);
        Path single = folder.resolve(SINGLE_WEIGHTS_FILE);
        Path index = folder.resolve(INDEX_FILE);
        // transformers prefers the single file when both exist; so do we.
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            Map<String, SafetensorsFile> fileOfTensor = new LinkedHashMap<>();
            file.tensorNames().forEach(name -> fileOfTensor.put(name, file));
            return new Checkpoint(folder, config, List.of(file), Collections.unmodifiableMap(fileOfTensor));
        }
        if (Files.isRegularFile(index)) {
            return openSharded(folder, config, index);
        }
        throw new SdsatException(folder + " has no weights: model.safetensors and model.safetensors.index.json "
                + "are both missing; " + EXPECTED_CONTENTS);
    }

    private static Checkpoint openSharded(Path folder, LlamaConfig config, Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            for (String shardName : new TreeSet<>(weightMap.values())) {
                Path shard = folder.resolve(shardName).normalize();
                if (!shard.startsWith(folder.normalize()) || shard.equals(folder.normalize())) {
                    throw new SdsatException(index + ": weight_map names shard '" + shardName + "', which is not a "
                            + "file inside " + folder + "; shard names must be file names in the model folder");
                }
                if (!Files.isRegularFile(shard)) {
                    long count = weightMap.values().stream()
                            .filter(shardName::equals)
                            .count();
                    throw new SdsatException(index + " maps " + count + " tensors to shard " + shardName
                            + ", which is missing from " + folder + "; the download is incomplete: fetch every "
                            + "shard the index lists");
                }
                shards.put(shardName, SafetensorsFile.open(shard));
            }
            Map<String, SafetensorsFile> fileOfTensor = new LinkedHashMap<>();
            for (Map.Entry<String, String> entry : weightMap.entrySet()) {
                SafetensorsFile shard = shards.get(entry.getValue());
                if (!shard.has(entry.getKey())) {
                    throw new SdsatException(index + " says tensor '" + entry.getKey() + "' is in "
                            + entry.getValue() + ", but that shard does not hold it; the index and the shards come "
                            + "from different saves: fetch them again together");
                }
                fileOfTensor.put(entry.getKey(), shard);
            }
            return new Checkpoint(
                    folder, config, List.copyOf(shards.values()), Collections.unmodifiableMap(fileOfTensor));
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            throw new SdsatException(index + " is not valid JSON (" + e.getOriginalMessage() + "); fetch it again", e);
        } catch (IOException e) {
            throw new SdsatException("cannot read " + index + ": " + e, e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new SdsatException(
                    index + " has no weight_map (an object from tensor name to shard file); " + "fetch it again");
        }
        Map<String, String> result = new LinkedHashMap<>();
        weightMap.fields().forEachRemaining(entry -> {
            if (!entry.getValue().isTextual() || entry.getValue().asText().isBlank()) {
                throw new SdsatException(index + ": weight_map entry for '" + entry.getKey()
                        + "' must be a shard file name, found " + entry.getValue());
            }
            result.put(entry.getKey(), entry.getValue().asText());
        });
        return result;
    }

    // ---------------------------------------------------------------------------------------------- access

    public Path folder() {
        return folder;
    }

    /** The folder's config.json. */
    public LlamaConfig config() {
        return config;
    }

    /** The weight files: the single file, or the shards sorted by name. */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::file).toList();
    }

    /** All tensor names: file order for a single file, weight_map order for shards. */
    public List<String> tensorNames() {
        return List.copyOf(fileOfTensor.keySet());
    }

    @Override
    public boolean has(String name) {
        return fileOfTensor.containsKey(name);
    }

    /** Dtype, shape and file of a tensor; throws naming the file(s) searched when it is missing. */
    @Override
    public TensorInfo info(String name) {
        SafetensorsFile file = fileOfTensor.get(name);
        if (file == null) {
            throw missing(name);
        }
        return file.info(name);
    }

    @Override
    public FloatBuffer tensor(String name, long... expectedShape) {
        SafetensorsFile file = fileOfTensor.get(name);
        if (file == null) {
            throw missing(name);
        }
        return file.read(file.info(name), expectedShape);
    }

    @Override
    public void readBytes(TensorInfo info, long offset, java.nio.ByteBuffer target) {
        SafetensorsFile file = fileOfTensor.get(info.name());
        if (file == null) {
            throw missing(info.name());
        }
        file.readBytes(info, offset, target);
    }

    private SdsatException missing(String name) {
        String searched = files.size() == 1
                ? files.get(0).file().toString()
                : folder.resolve(INDEX_FILE) + " (weight_map over " + files.size() + " shards)";
        return new SdsatException("tensor '" + name + "' not found in " + searched + "; the checkpoint holds "
                + fileOfTensor.size() + " tensors. Check that the folder holds a complete Llama checkpoint");
    }

    /**
     * Checks that every tensor a Llama model with this configuration needs is present with the right shape
     * ({@link LlamaArchitecture}: HF names, {@code lm_head.weight} only when embeddings are untied), that the optional
     * tensors present have the right shape too, and that no layer beyond {@code num_hidden_layers} exists; reports all
     * problems in one exception. Then refuses q/k/v biases, which the passes do not apply
     * ({@link LlamaArchitecture#refuseUnappliedBiases}). Reads headers only, no weight.
     *
     * @throws SdsatException listing every problem, naming tensors, files and the expected shapes
     */
    public void validateAgainst(LlamaConfig expected) {
        List<String> problems = new ArrayList<>();
        for (LlamaArchitecture.Tensor tensor : LlamaArchitecture.present(expected, this::has)) {
            String name = tensor.name();
            long[] shape = tensor.shape(expected);
            if (!has(name)) {
                String hint = tensor.part() == LlamaArchitecture.Part.LM_HEAD
                        ? " (if the model ties lm_head to the embeddings, config.json must say tie_word_embeddings: true)"
                        : "";
                problems.add("missing tensor " + name + " (expected shape " + Arrays.toString(shape) + ")" + hint);
                continue;
            }
            TensorInfo info = info(name);
            if (!Arrays.equals(info.shape(), shape)) {
                problems.add("tensor " + name + " in " + info.file().getFileName() + " has shape "
                        + Arrays.toString(info.shape()) + " but the configuration needs " + Arrays.toString(shape));
            }
        }
        int extraLayer = -1;
        for (String name : fileOfTensor.keySet()) {
            int layer = LlamaArchitecture.layerOf(name);
            if (layer >= expected.numLayers()) {
                extraLayer = Math.max(extraLayer, layer);
            }
        }
        if (extraLayer >= 0) {
            problems.add("the weights have tensors up to layer " + extraLayer + " ("
                    + LlamaArchitecture.layerPattern(extraLayer) + ") but num_hidden_layers is "
                    + expected.numLayers());
        }
        if (!problems.isEmpty()) {
            throw new SdsatException("the weights in " + folder + " do not match the configuration (hidden_size="
                    + expected.hiddenSize() + ", intermediate_size=" + expected.intermediateSize()
                    + ", num_hidden_layers=" + expected.numLayers() + ", num_attention_heads=" + expected.numHeads()
                    + ", num_key_value_heads=" + expected.numKvHeads() + ", head_dim=" + expected.headDim()
                    + ", vocab_size=" + expected.vocabSize() + ", tie_word_embeddings="
                    + expected.tieWordEmbeddings() + "); " + problems.size() + " problem(s):\n  - "
                    + String.join("\n  - ", problems)
                    + "\nconfig.json and the safetensors files must come from the same model: restore the "
                    + "config.json saved with these weights");
        }
        LlamaArchitecture.refuseUnappliedBiases(expected, this::has, "the checkpoint " + folder);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + folder + ", " + files.size() + " file(s), " + fileOfTensor.size() + " tensors]";
    }
}
