package io.github.sdsat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordsTest {
    record Point(int x, String label, Double weight) {
        Point {
            if (x < 0) {
                throw new IllegalArgumentException("x must not be negative, got " + x);
            }
        }
    }

    @Test
    void copyReplacesTheNamedComponentsAndKeepsTheRest() {
        Point p = new Point(3, "a", 0.5);
        assertThat(Records.copyWith(p, Map.of("label", "b"))).isEqualTo(new Point(3, "b", 0.5));
        assertThat(Records.copyWith(p, Map.of())).isEqualTo(p);
        java.util.Map<String, Object> toNull = new java.util.HashMap<>();
        toNull.put("weight", null);
        assertThat(Records.copyWith(p, toNull)).isEqualTo(new Point(3, "a", null));
    }

    @Test
    void theCanonicalConstructorChecksTheCopy() {
        assertThatThrownBy(() -> Records.copyWith(new Point(3, "a", 0.5), Map.of("x", -1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("x must not be negative");
    }

    @Test
    void componentsAreTheValuesByNameInDeclarationOrder() {
        Map<String, Object> components = Records.components(new Point(3, null, 0.5));
        assertThat(components.keySet()).containsExactly("x", "label", "weight");
        assertThat(components.values()).containsExactly(3, null, 0.5);
    }

    @Test
    void aNameThatIsNoComponentIsRefused() {
        assertThatThrownBy(() -> Records.copyWith(new Point(3, "a", 0.5), Map.of("colour", "red")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Point has no component named [colour]");
    }

    @Test
    void pairsMayCarryNullAndMustComeInPairs() {
        Point p = new Point(3, "a", 0.5);
        assertThat(Records.copyWith(p, "weight", null, "label", "c")).isEqualTo(new Point(3, "c", null));
        assertThatThrownBy(() -> Records.copyWith(p, "weight"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name, value pairs");
    }
}
