package io.github.sdsat.repro.speed;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.Thresholds;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The speed gate runs only the (decoder, k) cells that have floors in thresholds.properties (the full profile's k
 * beyond the CI matrix have none), so a decoder added to the runtime's registry would go ungated without its floors.
 * This fails instead: every registry decoder at every k of the CI matrix ({@link Matrix#ciKs}) must have its
 * tokens-per-pass floor and its accepted-per-loop rates (k of them), and the wall-clock configurations must name
 * registry decoders at CI k with their floors.
 */
@Epic("SDSAT reproduction")
@Feature("Speed")
class ThresholdsCoverTheRegistryTest {

    /** The count-gate keys the CI cells need that {@code thresholds} lacks or holds with the wrong position count. */
    static List<String> missingCountFloors(
            List<String> decoders, Function<String, List<Integer>> ks, Map<String, String> thresholds) {
        List<String> missing = new ArrayList<>();
        for (String decoder : decoders) {
            for (int k : ks.apply(decoder)) {
                String tokensPerPass = "speed.tokensPerForward." + decoder + ".k" + k;
                if (!thresholds.containsKey(tokensPerPass)) {
                    missing.add(tokensPerPass);
                }
                String accepted = "speed.acceptedPerLoop." + decoder + ".k" + k;
                String rates = thresholds.get(accepted);
                if (rates == null) {
                    missing.add(accepted);
                } else if (rates.split(",").length != k) {
                    missing.add(accepted + " (lists " + rates.split(",").length + " positions, needs k = " + k + ")");
                }
            }
        }
        return missing;
    }

    private static Map<String, String> countKeys() {
        Map<String, String> keys = new java.util.HashMap<>();
        for (String decoder : Matrix.speculativeDecoders()) {
            for (int k : Matrix.ciKs(decoder)) {
                for (String key : List.of(
                        "speed.tokensPerForward." + decoder + ".k" + k,
                        "speed.acceptedPerLoop." + decoder + ".k" + k)) {
                    if (Thresholds.has(key)) {
                        keys.put(key, Thresholds.string(key));
                    }
                }
            }
        }
        return keys;
    }

    @Test
    @DisplayName("every registry decoder at every k of the CI matrix has its count floors")
    void everyRegistryDecoderAtEveryCiKHasItsCountFloors() {
        List<String> decoders = Matrix.speculativeDecoders();
        assertThat(decoders).isNotEmpty();
        assertThat(missingCountFloors(decoders, Matrix::ciKs, countKeys()))
                .as(
                        "thresholds.properties keys missing for the CI matrix of %s: measure them (SpeedGateTest writes "
                                + "target/thresholds-measured.properties) and add them with their reason",
                        decoders)
                .isEmpty();
    }

    @Test
    @DisplayName("a decoder without floors, or with too few accepted-per-loop positions, is reported")
    void aDecoderWithoutFloorsIsReported() {
        // complete floors for the registry's decoders (values do not matter here), then one missing, one short
        Map<String, String> thresholds = new java.util.HashMap<>();
        for (String decoder : Matrix.speculativeDecoders()) {
            for (int k : Matrix.ciKs(decoder)) {
                thresholds.put("speed.tokensPerForward." + decoder + ".k" + k, "1.0");
                thresholds.put(
                        "speed.acceptedPerLoop." + decoder + ".k" + k, String.join(",", Collections.nCopies(k, "0.1")));
            }
        }
        assertThat(missingCountFloors(Matrix.speculativeDecoders(), Matrix::ciKs, thresholds))
                .isEmpty();
        thresholds.remove("speed.tokensPerForward.lookup.k3");
        thresholds.put("speed.acceptedPerLoop.sdsat.k3", "0.5,0.2");
        List<String> decoders = new ArrayList<>(Matrix.speculativeDecoders());
        decoders.add("sdsat-new");
        List<String> missing =
                missingCountFloors(decoders, d -> d.equals("sdsat-new") ? List.of(1) : Matrix.ciKs(d), thresholds);
        assertThat(missing)
                .containsExactly(
                        "speed.acceptedPerLoop.sdsat.k3 (lists 2 positions, needs k = 3)",
                        "speed.tokensPerForward.lookup.k3",
                        "speed.tokensPerForward.sdsat-new.k1",
                        "speed.acceptedPerLoop.sdsat-new.k1");
    }

    @Test
    @DisplayName("the wall-clock configurations name registry decoders at CI k, each with its floor")
    void wallClockConfigurationsNameRegistryDecodersWithFloors() {
        for (String config : Arrays.stream(
                        Thresholds.string("speed.wallclock.configs").split(","))
                .map(String::trim)
                .toList()) {
            String decoder = config.substring(0, config.indexOf(':'));
            int k = Integer.parseInt(config.substring(config.indexOf(':') + 1));
            assertThat(Matrix.speculativeDecoders()).as(config).contains(decoder);
            assertThat(Matrix.ciKs(decoder)).as(config).contains(k);
            assertThat(Thresholds.has("speed.wallclock.minSpeedupLowerBound." + decoder + ".k" + k))
                    .as(config + ": its floor")
                    .isTrue();
        }
    }
}
