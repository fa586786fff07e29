package io.github.sdsat.dataset;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The HumanEval problems (OpenAI, MIT licence; the licence file lies next to the data in
 * {@code io/github/sdsat/data/humaneval/}), bundled as a gzip JSONL resource, and the two task sets built from
 * them: completion (the prompt as given) and single-line infilling (one line of the canonical solution removed).
 */
public final class HumanEval {

    /** Classpath location of the bundled data. */
    public static final String RESOURCE = "/io/github/sdsat/data/humaneval/HumanEval.jsonl.gz";

    /** Dataset name of the completion tasks. */
    public static final String COMPLETION_DATASET = "humaneval";

    /** Dataset name of the single-line infilling tasks. */
    public static final String INFILLING_DATASET = "infilling";

    /** Number of problems in HumanEval. */
    public static final int PROBLEM_COUNT = 164;

    /** One HumanEval problem as published. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Problem(
            @JsonProperty("task_id") String taskId,
            @JsonProperty("prompt") String prompt,
            @JsonProperty("canonical_solution") String canonicalSolution,
            @JsonProperty("test") String test,
            @JsonProperty("entry_point") String entryPoint) {}

    private static volatile List<Problem> cached;

    private HumanEval() {}

    /** The 164 problems in published order (HumanEval/0 .. HumanEval/163); loaded once, unmodifiable. */
    public static List<Problem> problems() {
        List<Problem> result = cached;
        if (result == null) {
            synchronized (HumanEval.class) {
                result = cached;
                if (result == null) {
                    result = List.copyOf(load());
                    cached = result;
                }
            }
        }
        return result;
    }

    private static List<Problem> load() {
        ObjectMapper mapper = new ObjectMapper();
        InputStream raw = HumanEval.class.getResourceAsStream(RESOURCE);
        if (raw == null) {
            throw new SdsatException("HumanEval data " + RESOURCE
                    + " is missing from the classpath; the sdsat-runtime jar is incomplete,"
                    + " rebuild it with `mvn install`");
        }
        List<Problem> problems = new ArrayList<>(PROBLEM_COUNT);
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                Problem problem;
                try {
                    problem = mapper.readValue(line, Problem.class);
                } catch (JsonProcessingException e) {
                    throw new SdsatException(
                            "HumanEval data " + RESOURCE + " line " + lineNumber + " is not valid JSON: "
                                    + e.getOriginalMessage(),
                            e);
                }
                if (problem.taskId() == null || problem.prompt() == null || problem.canonicalSolution() == null) {
                    throw new SdsatException("HumanEval data " + RESOURCE + " line " + lineNumber
                            + " lacks task_id, prompt or canonical_solution");
                }
                problems.add(problem);
            }
        } catch (IOException e) {
            throw new SdsatException("Cannot read HumanEval data " + RESOURCE + ": " + e.getMessage(), e);
        }
        if (problems.size() != PROBLEM_COUNT) {
            throw new SdsatException("HumanEval data " + RESOURCE + " holds " + problems.size() + " problems, expected "
                    + PROBLEM_COUNT + "; the bundled file is damaged");
        }
        return problems;
    }

    /** Completion tasks (dataset {@value #COMPLETION_DATASET}): each problem's prompt, in published order. */
    public static List<Task> completionTasks() {
        List<Task> tasks = new ArrayList<>(PROBLEM_COUNT);
        for (Problem problem : problems()) {
            tasks.add(Task.completion(problem.taskId(), COMPLETION_DATASET, problem.prompt()));
        }
        return List.copyOf(tasks);
    }

    /**
     * Single-line infilling tasks (dataset {@value #INFILLING_DATASET}), one per problem in published order, each
     * made by {@link #infillSplit(Problem)}.
     */
    public static List<Task> infillingTasks() {
        List<Task> tasks = new ArrayList<>(PROBLEM_COUNT);
        for (Problem problem : problems()) {
            tasks.add(infillSplit(problem));
        }
        return List.copyOf(tasks);
    }

    /**
     * Removes one line of the canonical solution to make a single-line infilling task.
     *
     * <p>The rule, deterministic and free of randomness: split the canonical solution into lines, each keeping
     * its trailing {@code \n} (the last may have none); the candidates are the lines that are neither blank nor a
     * pure comment (first non-space character {@code #}); the removed line is the middle candidate, index
     * {@code candidates.size() / 2} (for an even count, the later of the two middle ones). Then
     * {@code prefix = prompt + lines before it}, {@code middle = that line with its newline},
     * {@code suffix = lines after it}, so that {@code prefix + middle + suffix} equals
     * {@code prompt + canonical_solution} exactly.
     *
     * @throws SdsatException if the solution has no code line to remove
     */
    public static Task infillSplit(Problem problem) {
        List<String> lines = splitKeepingNewlines(problem.canonicalSolution());
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String stripped = lines.get(i).strip();
            if (!stripped.isEmpty() && !stripped.startsWith("#")) {
                candidates.add(i);
            }
        }
        if (candidates.isEmpty()) {
            throw new SdsatException("HumanEval problem " + problem.taskId()
                    + " has no code line in its canonical solution to build an infilling task from");
        }
        int chosen = candidates.get(candidates.size() / 2);
        StringBuilder prefix = new StringBuilder(problem.prompt());
        for (int i = 0; i < chosen; i++) {
            prefix.append(lines.get(i));
        }
        StringBuilder suffix = new StringBuilder();
        for (int i = chosen + 1; i < lines.size(); i++) {
            suffix.append(lines.get(i));
        }
        return Task.infill(
                problem.taskId(), INFILLING_DATASET, prefix.toString(), suffix.toString(), lines.get(chosen));
    }

    /** Lines of {@code text}, each with its trailing {@code \n}; the concatenation is {@code text}. */
    static List<String> splitKeepingNewlines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
        return lines;
    }
}
