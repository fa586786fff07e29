package io.github.sdsat.accuracy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LineCompletionConfigTest {

    @Test
    void theGoalsParametersReplaceTheirDefaultsAndOffsetTheRunSeed() {
        LineCompletionConfig defaults = LineCompletionConfig.defaults();
        assertThat(LineCompletionConfig.forRun(
                        defaults.itemFraction(),
                        defaults.margin(),
                        defaults.bitsPerByteMargin(),
                        defaults.decoderItemFraction(),
                        0))
                .isEqualTo(defaults);
        LineCompletionConfig run = LineCompletionConfig.forRun(0.5, 0.01, 0.05, 0.25, 7);
        assertThat(run)
                .isEqualTo(new LineCompletionConfig(
                        0.5,
                        defaults.maxNewTokens(),
                        0.01,
                        0.05,
                        defaults.degradation(),
                        7 + LineCompletionConfig.DEFAULT_SEED,
                        defaults.decoders(),
                        defaults.k(),
                        0.25,
                        defaults.resamples()));
        assertThat(run.withItemFraction(1.0).itemFraction()).isEqualTo(1.0);
        assertThat(run.withDecoderItemFraction(0.5).decoderItemFraction()).isEqualTo(0.5);
        assertThat(run.withDecoders(List.of("sdsat"), 3))
                .extracting(LineCompletionConfig::decoders, LineCompletionConfig::k, LineCompletionConfig::margin)
                .containsExactly(List.of("sdsat"), 3, 0.01);
    }

    @Test
    void describeNamesEveryParameterInTheRecordsOrder() {
        assertThat(LineCompletionConfig.defaults().describe().keySet())
                .containsExactly(
                        "itemFraction",
                        "maxNewTokens",
                        "margin",
                        "bitsPerByteMargin",
                        "degradation",
                        "seed",
                        "decoders",
                        "k",
                        "decoderItemFraction",
                        "resamples");
    }
}
