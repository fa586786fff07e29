package io.github.sdsat.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonOptionsTest {
    @Test
    void defaultsAreTheIssuesProtocol() {
        ComparisonOptions o = ComparisonOptions.parse();
        assertThat(o.prompts()).isEqualTo(82);
        assertThat(o.newTokens()).isEqualTo(256);
        assertThat(o.decoder()).isEqualTo("sdsat");
        assertThat(o.k()).isEqualTo(5);
        assertThat(o.jlamaThreads()).isZero();
        assertThat(o.ourThreads()).isZero();
        assertThat(o.model()).isEqualTo("sdsat");
    }

    @Test
    void parsesEveryOption() {
        ComparisonOptions o = ComparisonOptions.parse(
                "--prompts",
                "5",
                "--tokens",
                "64",
                "--warmup",
                "1",
                "--decoder",
                "sdsat-tree",
                "--k",
                "3",
                "--jlama-threads",
                "1",
                "--our-threads",
                "1",
                "--model",
                "base",
                "--out",
                "x/y");
        assertThat(List.of(o.prompts(), o.newTokens(), o.warmup(), o.k(), o.jlamaThreads(), o.ourThreads()))
                .containsExactly(5, 64, 1, 3, 1, 1);
        assertThat(o.decoder()).isEqualTo("sdsat-tree");
        assertThat(o.model()).isEqualTo("base");
        assertThat(o.out()).isEqualTo(Path.of("x/y"));
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> ComparisonOptions.parse("--prompt", "5"))
                .hasMessageContaining("Unknown option --prompt")
                .hasMessageContaining("usage:");
        assertThatThrownBy(() -> ComparisonOptions.parse("--tokens")).hasMessageContaining("--tokens needs a value");
        assertThatThrownBy(() -> ComparisonOptions.parse("--tokens", "many"))
                .hasMessageContaining("--tokens takes an integer, got 'many'");
        assertThatThrownBy(() -> ComparisonOptions.parse("--prompts", "200")).hasMessageContaining("1..164");
        assertThatThrownBy(() -> ComparisonOptions.parse("--decoder", "ar")).hasMessageContaining("ar always runs");
    }
}
