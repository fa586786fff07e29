package io.github.sdsat.repro.equivalence;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.repro.support.Attach;
import io.github.sdsat.repro.support.EquivalenceChecker;
import io.github.sdsat.repro.support.EquivalenceGate;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.NearTies;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
import io.github.sdsat.repro.support.Thresholds;
import io.github.sdsat.repro.support.TieLedger;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The equivalence gate: at temperature 0 every SDSAT decoder must emit exactly the autoregressive greedy tokens, for
 * every prompt and draft length of the matrix ({@link Matrix}: CI default or {@code -Dsdsat.full=true}). A divergence
 * fails its cell with the prompt, position, both tokens and the logit margin there, unless the margin is under
 * {@code equivalence.tieMargin} (a numerical tie); ties pass their cell and the last test fails the suite when their
 * share exceeds the bound derived from the measured near-tie rate ({@link TieLedger#boundFromThresholds}). The
 * sdsat-tree decoder joins the matrix where the build has it.
 */
@Epic("SDSAT reproduction")
@Feature("Greedy equivalence")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GreedyEquivalenceTest {
    private final TieLedger ledger = new TieLedger(TieLedger.boundFromThresholds(Matrix.maxNewTokens()));
    private final Map<String, Decoder> decoders = new HashMap<>();
    /** Cells that ran a comparison (passed or failed), for the coverage check. */
    private final Set<String> comparedCells = new TreeSet<>();

    private Map<String, ReproPrompt> prompts;
    private EquivalenceChecker checker;

    Stream<Arguments> cells() {
        ReproModel model = ReproModel.sdsat();
        prompts = new LinkedHashMap<>();
        Prompts.matrix(model).forEach(p -> prompts.put(p.id(), p));
        checker = EquivalenceChecker.withThresholds(model);
        List<Arguments> cells = new ArrayList<>();
        // Prompt-major order: a prompt's baseline is computed once and its cells run together.
        for (String promptId : prompts.keySet()) {
            for (String decoder : Matrix.speculativeDecoders()) {
                for (int k : Matrix.ks(decoder)) {
                    cells.add(Arguments.of(decoder, k, promptId));
                }
            }
        }
        return cells.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0} k={1} on {2}")
    @MethodSource("cells")
    @DisplayName("greedy output equals autoregressive greedy output")
    void greedyOutputEqualsAutoregressive(String decoder, int k, String promptId) {
        ReproModel model = ReproModel.sdsat();
        Decoder instance =
                decoders.computeIfAbsent(decoder, name -> Decoders.create(name, model.model(), model.satId()));
        try {
            EquivalenceGate.check(model, prompts.get(promptId), instance, k, Matrix.maxNewTokens(), checker, ledger);
        } finally {
            comparedCells.add(decoder + " k=" + k + " on " + promptId);
        }
    }

    @Order(2)
    @Test
    @DisplayName("numerical ties stay within the bound derived from the measured near-tie rate")
    void tieShareWithinBound() {
        Attach.text("tie ledger", ledger.summary());
        assertThat(ledger.withinBound()).as(ledger.summary()).isTrue();
    }

    @Order(3)
    @Test
    @DisplayName("the near-tie rate measured on this model's baselines is within the rate the tie bound assumes")
    void tieBoundCoversTheMeasuredNearTieRate() {
        ReproModel model = ReproModel.sdsat();
        double tieMargin = Thresholds.number("equivalence.tieMargin");
        double assumedRate = Thresholds.number("equivalence.nearTieRatePerToken");
        NearTies nearTies = NearTies.measure(model, Prompts.matrix(model), Matrix.maxNewTokens(), tieMargin);
        double p = nearTies.pValueAtRate(assumedRate);
        String summary = nearTies.summary()
                + String.format(
                        java.util.Locale.ROOT,
                        "; P(this many or more | the " + "assumed %.2e per token) = %.3g; tie bound %.4f of runs",
                        assumedRate,
                        p,
                        ledger.maxShare());
        Attach.text("near-tie rate of the greedy baselines", summary);
        // A correct decoder can only tie where the baseline's two best logits are within the tie margin. If this
        // model has clearly more such positions than equivalence.nearTieRatePerToken assumes, the bound derived from
        // it is too tight and a correct decoder could fail on ties: recalibrate the rate from this measurement.
        assertThat(p)
                .as(
                        "near-tie positions against equivalence.nearTieRatePerToken = %s (one-sided binomial test "
                                + "at 1e-3; recalibrate the rate from this measurement): %s",
                        assumedRate, summary)
                .isGreaterThanOrEqualTo(1e-3);
    }

    @Order(4)
    @Test
    @DisplayName("the matrix covers every greedy decoder of this build")
    void matrixCoversEveryDecoder() {
        List<String> decoderNames = Matrix.speculativeDecoders();
        Set<String> expected = expectedCells(decoderNames, new ArrayList<>(prompts.keySet()));
        Attach.text(
                "matrix",
                "decoders " + decoderNames + ", prompts " + prompts.size() + ", new tokens "
                        + Matrix.maxNewTokens() + ", expected cells " + expected.size() + ", compared "
                        + comparedCells.size()
                        + " (ledger: " + ledger.comparedRuns() + ")");
        checkCoverage(decoderNames, expected, comparedCells);
    }

    /**
     * The cells the matrix must compare: each decoder at its draft lengths ({@link Matrix#ks}, derived from its
     * registry entry), on every prompt.
     */
    static Set<String> expectedCells(List<String> decoders, List<String> promptIds) {
        Set<String> expected = new TreeSet<>();
        for (String decoder : decoders) {
            for (int k : Matrix.ks(decoder)) {
                for (String promptId : promptIds) {
                    expected.add(decoder + " k=" + k + " on " + promptId);
                }
            }
        }
        return expected;
    }

    /**
     * The coverage gate: every speculative decoder of the build has cells in the matrix (a decoder whose k range
     * misses the matrix's draft lengths would go ungated), and every expected cell (and no other) ran a comparison.
     */
    static void checkCoverage(List<String> buildDecoders, Set<String> expected, Set<String> compared) {
        List<String> withoutCells = buildDecoders.stream()
                .filter(decoder -> expected.stream().noneMatch(cell -> cell.startsWith(decoder + " k=")))
                .toList();
        assertThat(withoutCells)
                .as("decoders of this build without a cell in the matrix (no k of Matrix.ks in their k range, "
                        + "or no registry entry)")
                .isEmpty();
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(compared);
        Set<String> unexpected = new TreeSet<>(compared);
        unexpected.removeAll(expected);
        assertThat(missing)
                .as("cells of the matrix that never ran a comparison (%d of %d)", missing.size(), expected.size())
                .isEmpty();
        assertThat(unexpected).as("compared cells outside the expected matrix").isEmpty();
    }
}
