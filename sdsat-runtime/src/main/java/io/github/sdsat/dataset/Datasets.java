package io.github.sdsat.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import io.github.sdsat.results.Shard;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Benchmark task sets: the bundled HumanEval completion and infilling sets, custom JSONL files, and the
 * selection of a leading fraction and of a shard.
 *
 * <h2>Custom dataset files</h2>
 *
 * A UTF-8 JSON Lines file (optionally gzip-compressed, name ending in {@code .gz}); one JSON object per line,
 * blank lines ignored. Each object is either
 *
 * <ul>
 *   <li>a completion task: {@code {"id": "...", "prompt": "..."}}, or
 *   <li>an infilling task: {@code {"id": "...", "prefix": "...", "suffix": "...", "middle": "..."}} where
 *       {@code middle}, the reference text of the gap, is optional.
 * </ul>
 *
 * {@code id} must be unique in the file. Other fields are rejected, so that a misspelt field name is noticed.
 * The dataset is named after the file (its name without {@code .jsonl}, {@code .json} or {@code .gz}) unless a
 * name is given.
 */
public final class Datasets {

    private static final Set<String> KNOWN_FIELDS = Set.of("id", "prompt", "prefix", "suffix", "middle");

    private Datasets() {}

    /** HumanEval completion tasks, dataset {@code humaneval}, 164 in published order. */
    public static List<Task> humanEval() {
        return HumanEval.completionTasks();
    }

    /** Single-line infilling tasks built from HumanEval solutions, dataset {@code infilling}. */
    public static List<Task> infilling() {
        return HumanEval.infillingTasks();
    }

    /**
     * Resolves a dataset by name or file: {@code humaneval}, {@code infilling}, or a path to a custom JSONL file
     * (see the class comment).
     */
    public static List<Task> load(String nameOrFile) {
        if (nameOrFile == null || nameOrFile.isBlank()) {
            throw new IllegalArgumentException(
                    "Dataset name is empty; use humaneval, infilling, or a path to a JSONL file");
        }
        String spec = nameOrFile.strip();
        if (spec.equals(HumanEval.COMPLETION_DATASET)) {
            return humanEval();
        }
        if (spec.equals(HumanEval.INFILLING_DATASET)) {
            return infilling();
        }
        return fromJsonl(Path.of(spec));
    }

    /** Reads a custom JSONL dataset named after its file. */
    public static List<Task> fromJsonl(Path file) {
        return fromJsonl(file, datasetNameOf(file));
    }

    /**
     * Reads a custom JSONL dataset (format in the class comment) under the given dataset name.
     *
     * @throws SdsatException naming the file (and line) when the file is missing, unreadable or malformed
     */
    public static List<Task> fromJsonl(Path file, String datasetName) {
        if (!Files.isRegularFile(file)) {
            throw new SdsatException("Dataset file " + file.toAbsolutePath() + " does not exist or is not a file;"
                    + " give a JSONL file with one {\"id\",\"prompt\"} or {\"id\",\"prefix\",\"suffix\"} object per line,"
                    + " or use the dataset name humaneval or infilling");
        }
        ObjectMapper mapper = new ObjectMapper();
        List<Task> tasks = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                Task task = parseLine(mapper, line, file, lineNumber, datasetName);
                if (!ids.add(task.id())) {
                    throw new SdsatException(where(file, lineNumber) + ": id '" + task.id()
                            + "' appears more than once; give every task a unique id");
                }
                tasks.add(task);
            }
        } catch (IOException e) {
            throw new SdsatException("Cannot read dataset file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        if (tasks.isEmpty()) {
            throw new SdsatException(
                    "Dataset file " + file.toAbsolutePath() + " holds no tasks; add at least one line");
        }
        return List.copyOf(tasks);
    }

    private static Task parseLine(ObjectMapper mapper, String line, Path file, int lineNumber, String datasetName) {
        JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            throw new SdsatException(where(file, lineNumber) + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new SdsatException(where(file, lineNumber) + " is not a JSON object; write one object per line");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KNOWN_FIELDS.contains(name)) {
                throw new SdsatException(where(file, lineNumber) + ": unknown field '" + name
                        + "'; allowed are id, prompt (completion) or prefix, suffix, middle (infilling)");
            }
        }
        String id = text(node, "id", file, lineNumber);
        String prompt = text(node, "prompt", file, lineNumber);
        String prefix = text(node, "prefix", file, lineNumber);
        String suffix = text(node, "suffix", file, lineNumber);
        String middle = text(node, "middle", file, lineNumber);
        if (id == null || id.isBlank()) {
            throw new SdsatException(where(file, lineNumber) + " has no \"id\"; give every task a non-blank id");
        }
        try {
            if (prompt != null) {
                if (prefix != null || suffix != null || middle != null) {
                    throw new SdsatException(
                            where(file, lineNumber) + " (id '" + id
                                    + "') mixes \"prompt\" with prefix/suffix/middle; a line is either a completion or an infilling task");
                }
                return Task.completion(id, datasetName, prompt);
            }
            if (prefix == null || suffix == null) {
                throw new SdsatException(where(file, lineNumber) + " (id '" + id + "') needs either \"prompt\" or both"
                        + " \"prefix\" and \"suffix\"");
            }
            return Task.infill(id, datasetName, prefix, suffix, middle);
        } catch (IllegalArgumentException e) {
            throw new SdsatException(where(file, lineNumber) + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field, Path file, int lineNumber) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new SdsatException(where(file, lineNumber) + ": field \"" + field + "\" must be a string, found "
                    + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return value.asText();
    }

    private static String where(Path file, int lineNumber) {
        return "Dataset file " + file.toAbsolutePath() + " line " + lineNumber;
    }

    /** The file name without {@code .gz} and then {@code .jsonl} or {@code .json}. */
    static String datasetNameOf(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        for (String extension : List.of(".jsonl", ".json")) {
            if (name.endsWith(extension) && name.length() > extension.length()) {
                return name.substring(0, name.length() - extension.length());
            }
        }
        return name;
    }

    /**
     * The leading {@code fraction} of the tasks, as the paper's runs use the first 50% of HumanEval: the first
     * {@code max(1, Math.round(fraction * size))} tasks (82 of 164 for 0.5).
     *
     * @param fraction in (0, 1]
     */
    public static List<Task> take(List<Task> tasks, double fraction) {
        if (!(fraction > 0.0 && fraction <= 1.0)) {
            throw new IllegalArgumentException(
                    "Data fraction " + fraction
                            + " is outside (0, 1]; give the share of the dataset to run, e.g. 0.5 for the first half or 1 for all");
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException(
                    "Cannot take a fraction of an empty task list; the dataset has no tasks");
        }
        int count = (int) Math.max(1, Math.min(tasks.size(), Math.round(fraction * tasks.size())));
        return List.copyOf(tasks.subList(0, count));
    }

    /** Every {@code count}-th task starting at {@code index} (0-based); the shards of one list partition it. */
    public static List<Task> shard(List<Task> tasks, int index, int count) {
        return shard(tasks, new Shard(index, count));
    }

    /** The tasks of one shard; see {@link Shard}. */
    public static List<Task> shard(List<Task> tasks, Shard shard) {
        List<Task> selected = new ArrayList<>();
        for (int i = shard.index(); i < tasks.size(); i += shard.count()) {
            selected.add(tasks.get(i));
        }
        return List.copyOf(selected);
    }

    /** The tasks of the shard written {@code "i/n"}; see {@link Shard#parse(String)}. */
    public static List<Task> shard(List<Task> tasks, String shard) {
        return shard(tasks, Shard.parse(shard));
    }
}
