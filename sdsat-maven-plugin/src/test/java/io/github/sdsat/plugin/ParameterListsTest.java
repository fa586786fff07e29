package io.github.sdsat.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParameterListsTest {
    @Test
    void integersAndRanges() {
        assertThat(ParameterLists.ints("sdsat.kList", "1..4, 7,9")).containsExactly(1, 2, 3, 4, 7, 9);
        assertThat(ParameterLists.ints("sdsat.kList", "")).isEmpty();
        assertThat(ParameterLists.doubles("sdsat.temperatures", "0, 0.2,1")).containsExactly(0.0, 0.2, 1.0);
        assertThat(ParameterLists.strings("sdsat.decoders", " sdsat ,sdsat-single-pass"))
                .isEqualTo(List.of("sdsat", "sdsat-single-pass"));
    }

    @Test
    void badItemsNameTheProperty() {
        assertThatThrownBy(() -> ParameterLists.ints("sdsat.kList", "1,x"))
                .hasMessageContaining("sdsat.kList")
                .hasMessageContaining("'x'");
        assertThatThrownBy(() -> ParameterLists.ints("sdsat.kList", "5..1")).hasMessageContaining("backwards");
        assertThatThrownBy(() -> ParameterLists.strings("sdsat.decoders", "sdsat,,ar"))
                .hasMessageContaining("empty item");
    }
}
