package io.github.sdsat.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.JlamaGreedyLoop;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import io.github.sdsat.dataset.Datasets;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The comparison is only meaningful if both engines compute the same greedy ids from the same prompt ids. */
class JlamaGreedyLoopTest {
    private static Path folder;
    private static AbstractModel jlama;

    @BeforeAll
    static void load() {
        DjlOffline.enable();
        folder = EmbeddedModels.resolve(EmbeddedModels.DEFAULT);
        jlama = ModelSupport.loadModel(folder.toFile(), DType.F32, DType.I8);
    }

    @AfterAll
    static void close() {
        jlama.close();
    }

    @Test
    void usesThePureJavaPanamaKernels() {
        assertThat(TensorOperationsProvider.get().name()).containsIgnoringCase("panama");
    }

    @Test
    void greedyIdsEqualOurAutoregressiveDecoder() {
        int newTokens = 16;
        try (LoadedModel ours = LoadedModel.open(folder, DeviceChoice.resolve("cpu", "float32"), null)) {
            PromptEncoder encoder =
                    new PromptEncoder(ours.tokenizer(), ours.model().config().eosTokenIds());
            long[] prompt = encoder.encode(Datasets.humanEval().get(0));
            long[] expected = Decoders.create("ar", ours.model(), ours.satToken())
                    .generate(prompt, GenerationConfig.greedy(newTokens))
                    .outputIds();

            JlamaGreedyLoop.Run run = JlamaGreedyLoop.generate(
                    jlama, Arrays.stream(prompt).mapToInt(Math::toIntExact).toArray(), newTokens);

            assertThat(run.ids()).hasSize(newTokens);
            assertThat(Arrays.stream(run.ids()).asLongStream().toArray()).containsExactly(expected);
            assertThat(run.prefillNanos()).isPositive();
            assertThat(run.decodeNanos()).isPositive();
        }
    }

    @Test
    void refusesRunsPastTheContext() {
        int context = jlama.getConfig().contextLength;
        assertThatThrownBy(() -> JlamaGreedyLoop.generate(jlama, new int[] {0, 5}, context))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fit Jlama's context");
    }
}
