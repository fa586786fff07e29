package io.github.sdsat.accuracy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.sdsat.SdsatException;
import io.github.sdsat.results.MeasureDiscrimination;
import io.github.sdsat.train.DebianCorpus;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The line-completion measures, intervals, gate rule, power and bundled items, without a model. */
class LineCompletionMathTest {
    @Test
    void editSimilarityIsFuzzywuzzysRatio() {
        // fuzz.ratio("abc", "abd") = 67: 2 * LCS 2 / 6 characters
        assertThat(EditSimilarity.of("abc", "abd")).isCloseTo(2.0 / 3, within(1e-12));
        // fuzz.ratio("kitten", "sitting") = 62: LCS "ittn" = 4, 2 * 4 / 13
        assertThat(EditSimilarity.of("kitten", "sitting")).isCloseTo(8.0 / 13, within(1e-12));
        assertThat(EditSimilarity.of("    return x", "    return x")).isEqualTo(1.0);
        assertThat(EditSimilarity.of("", "return x")).isEqualTo(0.0);
        // indentation counts: a line at the wrong depth is not exact, but similar
        assertThat(EditSimilarity.of("return x", "    return x")).isCloseTo(16.0 / 20, within(1e-12));
        // code points, not UTF-16 units: one astral character is one character
        assertThat(EditSimilarity.of("a\uD83D\uDE00", "a\uD83D\uDE00")).isEqualTo(1.0);
        assertThat(EditSimilarity.of("a\uD83D\uDE00", "ab")).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void bootstrapIntervalsBracketTheMeanAndAreReproducible() {
        double[] values = new double[200];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 5 == 0 ? 1 : 0;
        }
        PairedBootstrap.Interval interval = PairedBootstrap.mean(values, 2000, 1);
        assertThat(interval.mean()).isCloseTo(0.2, within(1e-12));
        // binomial standard error sqrt(0.2 * 0.8 / 200) = 0.028: the interval is about +-0.055
        assertThat(interval.low()).isBetween(0.13, 0.16);
        assertThat(interval.high()).isBetween(0.24, 0.27);
        assertThat(PairedBootstrap.mean(values, 2000, 1)).isEqualTo(interval);
        double[] bytes = new double[200];
        java.util.Arrays.fill(bytes, 4.0);
        assertThat(PairedBootstrap.ratio(values, bytes, 2000, 1).mean()).isCloseTo(0.05, within(1e-12));
    }

    @Test
    void measuresAtZeroOrOneForBothModelsAreUninformative() {
        assertThat(MeasureDiscrimination.of("m", 0, 0).informative()).isFalse();
        assertThat(MeasureDiscrimination.of("m", 0, 0).verdict()).isEqualTo("uninformative (both 0)");
        assertThat(MeasureDiscrimination.of("m", 1, 1).verdict()).isEqualTo("uninformative (both 1)");
        assertThat(MeasureDiscrimination.of("m", 0, 0.01).informative()).isTrue();
        assertThat(MeasureDiscrimination.of("m", 1, 0.99).informative()).isTrue();
    }

    @Test
    void exactMatchConditionFailsOnlyBeyondTheMargin() {
        boolean[] base = new boolean[100];
        boolean[] sdsat = new boolean[100];
        for (int i = 0; i < 10; i++) {
            base[i] = true;
            sdsat[i] = i >= 3; // 3 of base's 10 right lines lost: -0.03
        }
        assertThat(LineCompletionVerdict.exactMatchGateFails(sdsat, base, 0.03)).isFalse();
        sdsat[3] = false; // -0.04
        assertThat(LineCompletionVerdict.exactMatchGateFails(sdsat, base, 0.03)).isTrue();
        assertThat(LineCompletionVerdict.bitsPerByteGateFails(1.03, 1.0, 0.03)).isFalse();
        assertThat(LineCompletionVerdict.bitsPerByteGateFails(1.031, 1.0, 0.03)).isTrue();
    }

    @Test
    void powerGrowsWithTheDegradationAndIsReproducible() {
        boolean[] base = new boolean[300];
        boolean[] sdsat = new boolean[300];
        for (int i = 0; i < 300; i++) {
            base[i] = i % 5 == 0; // 0.20
            sdsat[i] = i % 5 == 0 || i == 1; // 0.203
        }
        double none = LineCompletionVerdict.power(sdsat, base, 1e-9, 0.03, 2000, 3);
        double small = LineCompletionVerdict.power(sdsat, base, 0.03, 0.03, 2000, 3);
        double large = LineCompletionVerdict.power(sdsat, base, 0.08, 0.03, 2000, 3);
        // equal models almost never fail; at the margin itself about half the runs fail; far beyond it almost all
        assertThat(none).isLessThan(0.05);
        assertThat(small).isBetween(0.3, 0.7);
        assertThat(large).isGreaterThan(0.95);
        assertThat(LineCompletionVerdict.power(sdsat, base, 0.08, 0.03, 2000, 3))
                .isEqualTo(large);
    }

    @Test
    void tripleQuotedStringLinesAreFound() {
        String[] lines = {
            "def f():",
            "    \"\"\"Doc",
            "    more doc",
            "    \"\"\"",
            "    x = '''a'''",
            "    return x  # \"\"\" no",
            "y = 1"
        };
        assertThat(LineCompletionDatasetBuilder.touchesTripleQuotedString(lines))
                .containsExactly(false, true, true, true, true, false, false);
        assertThat(LineCompletionDatasetBuilder.isTarget("    # only a comment"))
                .isFalse();
        assertThat(LineCompletionDatasetBuilder.isTarget("   ")).isFalse();
        assertThat(LineCompletionDatasetBuilder.isTarget("x = 1")).isTrue();
        assertThat(LineCompletionDatasetBuilder.isTarget("x = '" + "a".repeat(120) + "'"))
                .isFalse();
    }

    @Test
    void bundledItemsComeFromHeldOutPackagesOnly() {
        List<LineCompletionItems.Item> items = LineCompletionItems.bundled();
        assertThat(items).hasSize(LineCompletionDatasetBuilder.DEFAULT_ITEMS);
        Set<String> heldOut = DebianCorpus.shippedManifest().stream()
                .filter(DebianCorpus.Package::heldOut)
                .map(DebianCorpus.Package::name)
                .collect(Collectors.toSet());
        assertThat(items.stream().map(LineCompletionItems.Item::pkg).collect(Collectors.toSet()))
                .isEqualTo(heldOut);
        assertThat(items.stream().map(LineCompletionItems.Item::path).distinct().count())
                .isGreaterThan(60);
        for (LineCompletionItems.Item item : items) {
            assertThat(LineCompletionDatasetBuilder.isTarget(item.target()))
                    .as(item.id())
                    .isTrue();
            assertThat(item.context()).as(item.id()).endsWith("\n");
            assertThat(item.id()).isEqualTo(item.pkg() + "/" + item.path() + ":" + item.line());
            assertThat(LineCompletionItems.class.getResource(
                            "/io/github/sdsat/data/line-completion/LICENSE-" + item.pkg()))
                    .as("license of " + item.pkg())
                    .isNotNull();
        }
        // interleaved: a leading share holds every package
        assertThat(items.subList(0, 8).stream()
                        .map(LineCompletionItems.Item::pkg)
                        .distinct())
                .hasSize(heldOut.size());
    }

    @Test
    void badParametersAreListedBeforeAnyModelLoads() {
        LineCompletionConfig bad =
                new LineCompletionConfig(0, 0, -1, -1, 0, 25, List.of("ar", "nope", "sdsat"), 0, 0, 10);
        assertThatThrownBy(() -> LineCompletionStage.prepare(bad))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("itemFraction 0.0")
                .hasMessageContaining("maxNewTokens 0")
                .hasMessageContaining("margin -1.0")
                .hasMessageContaining("bitsPerByteMargin -1.0")
                .hasMessageContaining("degradation 0.0")
                .hasMessageContaining("resamples 10")
                .hasMessageContaining("decoders list ar")
                .hasMessageContaining("decoder 'nope' is unknown")
                .hasMessageContaining("k 0")
                .hasMessageContaining("decoderItemFraction 0.0");
        LineCompletionStage stage =
                LineCompletionStage.prepare(LineCompletionConfig.defaults().withItemFraction(0.1));
        assertThat(stage.itemCount()).isEqualTo(36);
        assertThat(stage.decoderItems()).isEqualTo(12);
    }
}
