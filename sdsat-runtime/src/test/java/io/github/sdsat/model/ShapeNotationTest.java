package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import org.junit.jupiter.api.Test;

class ShapeNotationTest {
    @Test
    void fourAndSixFieldShapesParseInTheirOrder() {
        assertThat(ShapeNotation.sizes("384:6:6:1024")).containsExactly(384, 6, 6, 1024);
        assertThat(ShapeNotation.sizesVocabContext(" 4096 : 32:32:11008:32000:4096"))
                .containsExactly(4096, 32, 32, 11008, 32000, 4096);
    }

    @Test
    void malformedShapesAreRefusedNamingTheNotationAndAnExample() {
        assertThatThrownBy(() -> ShapeNotation.sizes("384:6:6:1024:4096:512"))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("is not HIDDEN:LAYERS:HEADS:INTERMEDIATE with 4 positive integers")
                .hasMessageContaining("e.g. 384:6:6:1024");
        assertThatThrownBy(() -> ShapeNotation.sizesVocabContext("1024:8:16:2816"))
                .hasMessageContaining("HIDDEN:LAYERS:HEADS:INTERMEDIATE:VOCAB:CONTEXT with 6 positive integers");
        assertThatThrownBy(() -> ShapeNotation.sizes("384:0:6:1024")).hasMessageContaining("positive integers");
        assertThatThrownBy(() -> ShapeNotation.sizes("384:6:6:")).hasMessageContaining("positive integers");
        // 1000 / 16 is no whole head size; 384 / 128 = 3 is odd, which rotary embeddings cannot rotate in pairs
        assertThatThrownBy(() -> ShapeNotation.sizesVocabContext("1000:8:16:2816:32000:2048"))
                .hasMessageContaining("the hidden size 1000 must split into 16 heads of an even size");
        assertThatThrownBy(() -> ShapeNotation.sizes("384:6:128:1024")).hasMessageContaining("even size");
    }
}
