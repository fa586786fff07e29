package io.github.sdsat.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.bench.TinyModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The integration tests run on a committed random-weight model folder, {@code src/it/models/tiny}. It must be
 * exactly what {@link TinyModelFolder} writes for seed {@value #SEED}, so that anyone can rebuild it:
 * {@code mvn -pl sdsat-maven-plugin test -Dtest=ItModelFolderTest -Dsdsat.rewriteItModel=true}.
 */
class ItModelFolderTest {
    static final long SEED = 7;
    static final Path COMMITTED = Path.of("src", "it", "models", "tiny");
    static final List<String> FILES =
            List.of("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors");

    @Test
    void committedItModelIsTheGeneratorsOutput(@TempDir Path temp) throws IOException {
        if (Boolean.getBoolean("sdsat.rewriteItModel")) {
            TinyModelFolder.write(COMMITTED, SEED);
        }
        Path fresh = TinyModelFolder.write(temp.resolve("tiny"), SEED);
        long total = 0;
        for (String file : FILES) {
            assertThat(COMMITTED.resolve(file)).as("committed " + file).hasSameBinaryContentAs(fresh.resolve(file));
            total += Files.size(COMMITTED.resolve(file));
        }
        assertThat(total).as("bytes committed").isLessThan(200_000);
    }
}
