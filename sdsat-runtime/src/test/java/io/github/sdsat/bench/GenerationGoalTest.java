package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.DjlOffline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sdsat:generate} as its Mojo calls it: the prompt's sources, the logged stats line and the stats file. */
class GenerationGoalTest {
    @TempDir
    Path dir;

    @Test
    void generatesLogsTheStatsAsOneJsonLineAndWritesTheSameToTheFile() throws IOException {
        DjlOffline.enable();
        Path model = TinyModelFolder.write(dir.resolve("tiny"), 3);
        Path promptFile = Files.writeString(dir.resolve("prompt.txt"), "def add(a, b):");
        Path stats = dir.resolve("out/nested/stats.json");
        List<String> log = new ArrayList<>();
        TextGeneration.Outcome outcome = GenerationGoal.generate(
                new GenerationGoal.Request(
                        model,
                        "cpu",
                        "auto",
                        null,
                        null,
                        promptFile,
                        "sdsat",
                        GenerationConfig.builder().maxNewTokens(8).k(2).build(),
                        stats),
                log::add);
        assertThat(log).hasSize(3);
        assertThat(log.get(0)).isEqualTo("Generated text:\ndef add(a, b):" + outcome.text());
        String json = log.get(1);
        assertThat(json).startsWith("{\"newTokens\":").doesNotContain("\n");
        // The same object a plain mapper writes: the stats line did not change when the runtime's mapper took over.
        assertThat(json).isEqualTo(new ObjectMapper().writeValueAsString(outcome.stats()));
        assertThat(new ObjectMapper().readValue(json, Map.class)).containsEntry("decoder", "sdsat");
        assertThat(Files.readString(stats)).isEqualTo(json + "\n");
        assertThat(log.get(2)).isEqualTo("Stats written to " + stats.toAbsolutePath());
    }

    @Test
    void promptSourcesAreRefusedWithTheFix() {
        assertThatThrownBy(() -> GenerationGoal.promptText("x", dir.resolve("p.txt")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Both sdsat.prompt and sdsat.promptFile are set: give only one");
        assertThatThrownBy(() -> GenerationGoal.promptText(null, dir.resolve("missing.txt")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Cannot read sdsat.promptFile " + dir.resolve("missing.txt"))
                .hasMessageContaining("give a readable UTF-8 file");
        assertThatThrownBy(() -> GenerationGoal.promptText("", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("No prompt: set -Dsdsat.prompt=");
        assertThat(GenerationGoal.promptText("def f():", null)).isEqualTo("def f():");
    }
}
