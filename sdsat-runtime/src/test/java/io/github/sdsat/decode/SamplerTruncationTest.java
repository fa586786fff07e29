package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Sampler.distribution against distributions computed by hand for softmax probabilities 0.4, 0.3, 0.2, 0.1 (logits
 * ln p): temperature, top-k, top-p, and top-k with top-p in Hugging Face's order (top-p on the renormalised top-k
 * distribution, where a rule on the full distribution's mass keeps a different set).
 */
class SamplerTruncationTest {
    private static final float[] LOGITS = {
        (float) Math.log(0.4), (float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.1)
    };

    private static double[] processed(double temperature, int topK, double topP) {
        GenerationConfig config = GenerationConfig.builder()
                .maxNewTokens(1)
                .temperature(temperature)
                .topK(topK)
                .topP(topP)
                .build();
        return Sampler.distribution(LOGITS, 0, LOGITS.length, config);
    }

    private static void assertDistribution(double[] got, double... expected) {
        assertThat(got).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(got[i]).as("token %d", i).isCloseTo(expected[i], within(1e-6));
        }
    }

    @Test
    void noTruncationKeepsTheSoftmax() {
        assertDistribution(processed(1.0, 0, 1.0), 0.4, 0.3, 0.2, 0.1);
    }

    @Test
    void topKRenormalisesTheKMostLikely() {
        assertDistribution(processed(1.0, 3, 1.0), 4 / 9.0, 3 / 9.0, 2 / 9.0, 0);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // 0.4 < 0.6, 0.4 + 0.3 >= 0.6: two tokens
        assertDistribution(processed(1.0, 0, 0.6), 4 / 7.0, 3 / 7.0, 0, 0);
        // 0.4 + 0.3 = 0.7 < 0.75, + 0.2 = 0.9: three tokens
        assertDistribution(processed(1.0, 0, 0.75), 4 / 9.0, 3 / 9.0, 2 / 9.0, 0);
    }

    @Test
    void topPAppliesToTheRenormalisedTopKDistribution() {
        // top-k 3 leaves 4/9, 3/9, 2/9; 4/9 + 3/9 = 0.778 >= 0.75: two tokens (on the full distribution's mass,
        // 0.7 < 0.75, a third token would stay)
        assertDistribution(processed(1.0, 3, 0.75), 4 / 7.0, 3 / 7.0, 0, 0);
    }

    @Test
    void temperatureSharpensOrFlattensBeforeTruncation() {
        // T = 2: p ∝ sqrt(p); top-k 2 keeps sqrt(0.4) and sqrt(0.3)
        double a = Math.sqrt(0.4);
        double b = Math.sqrt(0.3);
        assertDistribution(processed(2.0, 2, 1.0), a / (a + b), b / (a + b), 0, 0);
        // T = 0.5: p ∝ p², 0.16, 0.09, 0.04, 0.01 of 0.30; top-p 0.8: 0.533 < 0.8, 0.833 >= 0.8
        assertDistribution(processed(0.5, 0, 0.8), 0.16 / 0.25, 0.09 / 0.25, 0, 0);
    }
}
