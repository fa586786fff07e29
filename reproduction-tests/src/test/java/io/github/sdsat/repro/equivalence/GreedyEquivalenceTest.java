package io.github.sdsat.repro.equivalence;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.repro.support.Attach;
import io.github.sdsat.repro.support.EquivalenceChecker;
import io.github.sdsat.repro.support.EquivalenceGate;
import io.github.sdsat.repro.support.Matrix;
import io.github.sdsat.repro.support.Prompts;
import io.github.sdsat.repro.support.ReproModel;
import io.github.sdsat.repro.support.ReproPrompt;
import io.github.sdsat.repro.support.Thresholds;
import io.github.sdsat.repro.support.TieLedger;
import io.qameta.allure.Epic;
import io.qameta.allure.Feature;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The equivalence gate: at temperature 0 every SDSAT decoder must emit exactly the autoregressive greedy tokens, for
 * every prompt and draft length of the matrix ({@link Matrix}: CI default or {@code -Dsdsat.full=true}). A divergence
 * fails its cell with the prompt, position, both tokens and the logit margin there, unless the margin is under
 * {@code equivalence.tieMargin} (a numerical tie); ties pass their cell and the last test fails the suite when their
 * share exceeds {@code equivalence.maxTieShare}. The sdsat-tree decoder joins the matrix where the build has it.
 */
@Epic("SDSAT reproduction")
@Feature("Greedy equivalence")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GreedyEquivalenceTest {
    private final TieLedger ledger = new TieLedger(Thresholds.number("equivalence.maxTieShare"));
    private final Map<String, Decoder> decoders = new HashMap<>();
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
        Decoder instance = decoders.computeIfAbsent(decoder, name -> Decoders.create(name, model.model(),
                model.satId()));
        EquivalenceGate.check(model, prompts.get(promptId), instance, k, Matrix.maxNewTokens(), checker, ledger);
    }

    @Order(2)
    @Test
    @DisplayName("numerical ties stay within the documented share")
    void tieShareWithinBound() {
        Attach.text("tie ledger", ledger.summary());
        assertThat(ledger.withinBound()).as(ledger.summary()).isTrue();
    }

    @Order(3)
    @Test
    @DisplayName("the matrix covers every greedy decoder of this build")
    void matrixCoversEveryDecoder() {
        StringBuilder b = new StringBuilder("decoders: " + Matrix.speculativeDecoders() + "\n");
        for (String decoder : Matrix.speculativeDecoders()) {
            b.append(decoder).append(" k ").append(Matrix.ks(decoder)).append('\n');
        }
        b.append("tree decoder (").append(Matrix.TREE_DECODER).append(") in this build: ")
                .append(Matrix.available(Matrix.TREE_DECODER)).append('\n');
        b.append("prompts: ").append(prompts == null ? 0 : prompts.size()).append(", new tokens ")
                .append(Matrix.maxNewTokens()).append(", compared runs ").append(ledger.comparedRuns());
        Attach.text("matrix", b.toString());
        assertThat(Matrix.speculativeDecoders()).contains("sdsat", "sdsat-single-pass");
        assertThat(ledger.comparedRuns()).as("cells compared").isPositive();
    }
}
