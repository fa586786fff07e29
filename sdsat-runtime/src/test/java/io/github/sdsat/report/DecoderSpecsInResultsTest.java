package io.github.sdsat.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.decode.DecoderRegistry;
import io.github.sdsat.results.RunResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * results.json's {@code config.decoderSpecs} (the registry's facts of the run's decoders) survives a write and a read
 * exactly, and results written before it existed still read and render.
 */
class DecoderSpecsInResultsTest {
    @TempDir
    Path folder;

    private static final List<String> DECODERS = List.of("ar", "sdsat", "sdsat-tree");

    private static RunResults withSpecs() {
        Map<String, Object> config = new LinkedHashMap<>(SampleRuns.config(null));
        config.put("decoderSpecs", DecoderRegistry.facts(DECODERS));
        return RunResults.of(config, SampleRuns.environment(), SampleRuns.records(List.of(0, 1)));
    }

    @Test
    void theFactsOfTheRunsDecodersAreWrittenAndReadBack() throws IOException {
        RunResults results = withSpecs();
        Path runDir = folder.resolve("run");
        ResultFiles.write(runDir, results);

        JsonNode specs = new ObjectMapper()
                .readTree(runDir.resolve(ResultFiles.RESULTS_JSON).toFile())
                .path("config")
                .path("decoderSpecs");
        assertThat(specs.isArray()).isTrue();
        assertThat(specs).extracting(s -> s.path("name").asText()).containsExactlyElementsOf(DECODERS);
        JsonNode tree = specs.get(2);
        assertThat(tree.path("usesSat").asBoolean()).isTrue();
        assertThat(tree.path("samples").asBoolean()).isTrue();
        assertThat(tree.path("passesPerLoop").asInt()).isEqualTo(2);
        assertThat(tree.path("drafts").asText()).isEqualTo("exactly-k");
        assertThat(tree.path("kRange").asText()).isEqualTo("5,7,9,11,13");
        assertThat(specs.get(0).path("usesSat").asBoolean()).isFalse();

        assertThat(ResultFiles.read(runDir)).usingRecursiveComparison().isEqualTo(results);
    }

    @Test
    void resultsWrittenBeforeTheFactsExistedStillReadAndRender() throws IOException {
        RunResults results = withSpecs();
        Path runDir = folder.resolve("old-run");
        ResultFiles.write(runDir, results);
        Path json = runDir.resolve(ResultFiles.RESULTS_JSON);
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(json.toFile());
        ((ObjectNode) root.path("config")).remove("decoderSpecs");
        mapper.writeValue(json.toFile(), root);
        assertThat(Files.readString(json)).doesNotContain("decoderSpecs");

        RunResults read = ResultFiles.read(runDir);
        assertThat(read.config()).doesNotContainKey("decoderSpecs");
        assertThat(read.rows()).usingRecursiveComparison().isEqualTo(results.rows());
        Path again = folder.resolve("rendered");
        ResultFiles.write(again, read);
        assertThat(Files.readString(again.resolve(ResultFiles.INDEX_HTML))).contains("<td>sdsat</td>");
    }
}
