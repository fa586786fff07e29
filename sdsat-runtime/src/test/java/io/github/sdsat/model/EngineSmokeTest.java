package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class EngineSmokeTest {
    @Test
    void engineStarts() {
        Engine e = Engine.getEngine("PyTorch");
        try (NDManager m = e.newBaseManager()) {
            assertThat(m.create(new float[] {1, 2}).sum().getFloat()).isEqualTo(3f);
        }
    }
}
