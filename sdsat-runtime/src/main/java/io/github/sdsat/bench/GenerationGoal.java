package io.github.sdsat.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.sdsat.SdsatException;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.report.ResultFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code sdsat:generate} goal behind its Mojo, which only maps parameters: the prompt from the property or a file,
 * one {@link TextGeneration}, the text and the stats object logged (the object as one JSON line, written with the
 * runtime's JSON mapper), and the stats file.
 */
public final class GenerationGoal {

    private GenerationGoal() {}

    /**
     * What {@code sdsat:generate} runs.
     *
     * @param model model folder (resolved)
     * @param device {@code auto}, {@code cpu}, {@code gpu}, {@code gpuN}
     * @param dtype {@code auto}, {@code float32}, {@code float16}
     * @param satToken SAT token id or text, null for the tokenizer's
     * @param prompt {@code sdsat.prompt}, null when the prompt is in {@code promptFile}
     * @param promptFile {@code sdsat.promptFile}: a UTF-8 file whose whole content is the prompt, null for none
     * @param decoder the decoder's name
     * @param generation limits, temperature, k, sampling rule and seed
     * @param statsFile where to write the stats object too, null for nowhere
     */
    public record Request(
            Path model,
            String device,
            String dtype,
            String satToken,
            String prompt,
            Path promptFile,
            String decoder,
            GenerationConfig generation,
            Path statsFile) {}

    /**
     * Generates, logs {@code Generated text:} with the prompt and its continuation, then the stats object as one JSON
     * line, and writes the stats file when one is given.
     *
     * @throws IllegalArgumentException or {@link SdsatException} naming the bad parameter and the fix
     */
    public static TextGeneration.Outcome generate(Request request, Consumer<String> log) {
        String text = promptText(request.prompt(), request.promptFile());
        TextGeneration.Outcome outcome = TextGeneration.run(new TextGeneration.Request(
                request.model(),
                request.device(),
                request.dtype(),
                request.satToken(),
                text,
                request.decoder(),
                request.generation()));
        String json = statsLine(outcome.stats());
        log.accept("Generated text:\n" + text + outcome.text());
        log.accept(json);
        if (request.statsFile() != null) {
            writeStats(request.statsFile(), json);
            log.accept("Stats written to " + request.statsFile().toAbsolutePath());
        }
        return outcome;
    }

    /** The stats object as one line of JSON. */
    static String statsLine(Map<String, Object> stats) {
        try {
            return ResultFiles.mapper()
                    .disable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(stats);
        } catch (JsonProcessingException e) {
            throw new SdsatException("Cannot write the stats as JSON: " + e.getMessage(), e);
        }
    }

    private static void writeStats(Path statsFile, String json) {
        Path folder = statsFile.toAbsolutePath().getParent();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "Cannot create the folder of sdsat.statsFile " + folder + " (" + e
                            + "): choose a writable location",
                    e);
        }
        AtomicFiles.writeString(statsFile, json + "\n");
    }

    /** The prompt: {@code sdsat.prompt} or the content of {@code sdsat.promptFile}, exactly one of them. */
    static String promptText(String prompt, Path promptFile) {
        if (prompt != null && promptFile != null) {
            throw new IllegalArgumentException("Both sdsat.prompt and sdsat.promptFile are set: give only one");
        }
        if (promptFile != null) {
            try {
                return Files.readString(promptFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "Cannot read sdsat.promptFile " + promptFile.toAbsolutePath() + " (" + e
                                + "): give a readable UTF-8 file",
                        e);
            }
        }
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException(
                    "No prompt: set -Dsdsat.prompt=\"def add(a, b):\" or -Dsdsat.promptFile=<file>");
        }
        return prompt;
    }
}
