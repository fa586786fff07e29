package io.github.sdsat.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SideBySideOptionsTest {
    @Test
    void defaultsAreShortRunsOnTwoThreads() {
        SideBySideOptions o = SideBySideOptions.parse("--model", "/models/x");
        assertThat(o.model()).isEqualTo(Path.of("/models/x"));
        assertThat(o.task()).isZero();
        assertThat(o.prompt()).isNull();
        assertThat(o.newTokens()).isEqualTo(32);
        assertThat(o.rounds()).isEqualTo(3);
        assertThat(o.warmup()).isEqualTo(1);
        assertThat(o.warmupRunTokens()).isEqualTo(8);
        assertThat(o.runs()).isEqualTo(2);
        assertThat(o.threads()).isEqualTo(2);
        assertThat(o.jlamaXmxGiB()).isZero();
        assertThat(o.arXmxGiB()).isZero();
        assertThat(o.out()).isEqualTo(Path.of("reports", "jlama-bf16"));
    }

    @Test
    void parsesEveryOption() {
        SideBySideOptions o = SideBySideOptions.parse(
                "--model",
                "m",
                "--prompt",
                "def f(x):",
                "--tokens",
                "4",
                "--rounds",
                "2",
                "--warmup",
                "0",
                "--warmup-tokens",
                "16",
                "--runs",
                "3",
                "--threads",
                "1",
                "--jlama-xmx",
                "3",
                "--ar-xmx",
                "15",
                "--out",
                "o",
                "--task",
                "7");
        assertThat(o.prompt()).isEqualTo("def f(x):");
        assertThat(o.task()).isEqualTo(7);
        assertThat(o.newTokens()).isEqualTo(4);
        assertThat(o.warmupRunTokens())
                .as("untimed runs never longer than timed ones")
                .isEqualTo(4);
        assertThat(o.rounds()).isEqualTo(2);
        assertThat(o.warmup()).isZero();
        assertThat(o.runs()).isEqualTo(3);
        assertThat(o.threads()).isEqualTo(1);
        assertThat(o.jlamaXmxGiB()).isEqualTo(3);
        assertThat(o.arXmxGiB()).isEqualTo(15);
        assertThat(o.out()).isEqualTo(Path.of("o"));
    }

    @Test
    void refusesBadInputWithTheFix() {
        assertThatThrownBy(SideBySideOptions::parse).hasMessageContaining("--model is required");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model", "m", "--tokens", "1"))
                .hasMessageContaining("--tokens must be at least 2");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model", "m", "--task", "164"))
                .hasMessageContaining("0..163");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model", "m", "--prompt", " "))
                .hasMessageContaining("--prompt is empty");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model", "m", "--runs", "0"))
                .hasMessageContaining("--runs must be >= 1");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model", "m", "--threads", "two"))
                .hasMessageContaining("takes an integer");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model", "m", "--prompts", "3"))
                .hasMessageContaining("Unknown option --prompts");
        assertThatThrownBy(() -> SideBySideOptions.parse("--model")).hasMessageContaining("needs a value");
    }
}
