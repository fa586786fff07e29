package io.github.sdsat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaArchitecture.Part;
import io.github.sdsat.model.LlamaArchitecture.Tensor;
import io.github.sdsat.train.AdamW;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one description of a Llama checkpoint's tensors ({@link LlamaArchitecture}): the Hugging Face names and shapes
 * written out literally here, so a slip in the description fails against transformers' layout; q/k/v biases
 * (Qwen2-style) known, shape-checked, read by {@link LlamaParameters}, and refused by every path that would run or
 * widen them before a weight is read.
 */
class LlamaArchitectureTest {

    @TempDir
    Path dir;

    /** hidden 16, intermediate 40, 2 layers, 4 heads of 4 sharing 2 KV heads, vocab 50. */
    private static LlamaConfig config(boolean tied) {
        return TinyCheckpoints.gqaConfig(tied);
    }

    @Test
    void theRequiredTensorsAreTransformersLlamaLayoutInItsOrder() {
        Map<String, List<Long>> expected = new LinkedHashMap<>();
        expected.put("model.embed_tokens.weight", List.of(50L, 16L));
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".";
            expected.put(p + "self_attn.q_proj.weight", List.of(16L, 16L));
            expected.put(p + "self_attn.k_proj.weight", List.of(8L, 16L));
            expected.put(p + "self_attn.v_proj.weight", List.of(8L, 16L));
            expected.put(p + "self_attn.o_proj.weight", List.of(16L, 16L));
            expected.put(p + "mlp.gate_proj.weight", List.of(40L, 16L));
            expected.put(p + "mlp.up_proj.weight", List.of(40L, 16L));
            expected.put(p + "mlp.down_proj.weight", List.of(16L, 40L));
            expected.put(p + "input_layernorm.weight", List.of(16L));
            expected.put(p + "post_attention_layernorm.weight", List.of(16L));
        }
        expected.put("model.norm.weight", List.of(16L));
        assertThat(asLists(LlamaArchitecture.tensorShapes(config(true)))).containsExactlyEntriesOf(expected);
        expected.put("lm_head.weight", List.of(50L, 16L));
        assertThat(asLists(config(false).tensorShapes())).containsExactlyEntriesOf(expected);
        assertThat(LlamaArchitecture.lmHeadName(config(true))).isEqualTo("model.embed_tokens.weight");
        assertThat(LlamaArchitecture.lmHeadName(config(false))).isEqualTo("lm_head.weight");
    }

    @Test
    void biasesArePresentOnlyWhenTheWeightsHoldThemAndFollowTheirWeight() {
        LlamaConfig c = config(false);
        Predicate<String> qwen2 = name -> name.endsWith("_proj.bias");
        Map<String, long[]> present = LlamaArchitecture.tensorShapes(c, qwen2);
        assertThat(present).hasSize(c.tensorShapes().size() + 6); // q, k, v biases of 2 layers
        List<String> names = new ArrayList<>(present.keySet());
        assertThat(names.subList(1, 7))
                .containsExactly(
                        "model.layers.0.self_attn.q_proj.weight",
                        "model.layers.0.self_attn.q_proj.bias",
                        "model.layers.0.self_attn.k_proj.weight",
                        "model.layers.0.self_attn.k_proj.bias",
                        "model.layers.0.self_attn.v_proj.weight",
                        "model.layers.0.self_attn.v_proj.bias");
        assertThat(present.get("model.layers.1.self_attn.q_proj.bias")).containsExactly(16);
        assertThat(present.get("model.layers.1.self_attn.k_proj.bias")).containsExactly(8);
        assertThat(LlamaArchitecture.tensorShapes(c, name -> false))
                .containsOnlyKeys(c.tensorShapes().keySet());
    }

    @Test
    void namesParseBackToTheirTensorAndOtherNamesToNothing() {
        LlamaConfig c = config(false);
        for (Tensor tensor : LlamaArchitecture.present(c, name -> true)) {
            assertThat(LlamaArchitecture.parse(tensor.name())).contains(tensor);
        }
        assertThat(LlamaArchitecture.parse("model.layers.0.self_attn.rotary_emb.inv_freq"))
                .isEmpty();
        assertThat(LlamaArchitecture.parse("model.embed.weight")).isEmpty();
        assertThat(LlamaArchitecture.parse("model.layers.99999999999.input_layernorm.weight"))
                .isEmpty();
        assertThat(LlamaArchitecture.layerOf("model.layers.7.mlp.up_proj.weight"))
                .isEqualTo(7);
        assertThat(LlamaArchitecture.layerOf("model.layers.99999999999.x")).isEqualTo(Integer.MAX_VALUE);
        assertThat(LlamaArchitecture.layerOf("lm_head.weight")).isEqualTo(-1);
        assertThatThrownBy(() -> Part.Q_PROJ.tensorName()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Part.LM_HEAD.tensorName(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void weightDecayReachesTheLinearWeightsOnly() {
        Predicate<String> decays = AdamW.decaysLinearWeightsOnly();
        Map<String, Boolean> decayed = new LinkedHashMap<>();
        LlamaArchitecture.present(config(false), name -> true)
                .forEach(t -> decayed.put(t.name(), decays.test(t.name())));
        decayed.forEach((name, yes) ->
                assertThat(yes).as(name).isEqualTo(name.endsWith("_proj.weight") || name.equals("lm_head.weight")));
        assertThat(decays.test("model.layers.0.self_attn.rotary_emb.inv_freq")).isFalse();
    }

    // ------------------------------------------------------------------------------------------- biases refused

    /** The configuration's tensors plus q/k/v biases of every layer (of the given length for layer 1's q bias). */
    private static Map<String, SafetensorsWriter.Tensor> withBiases(LlamaConfig c, int layer1QBiasLength) {
        Map<String, SafetensorsWriter.Tensor> tensors = TinyCheckpoints.randomWeights(c, SafetensorsDtype.F32, 5L);
        for (int l = 0; l < c.numLayers(); l++) {
            for (Part bias : List.of(Part.Q_BIAS, Part.K_BIAS, Part.V_BIAS)) {
                int length = l == 1 && bias == Part.Q_BIAS ? layer1QBiasLength : (int) bias.shape(c)[0];
                tensors.put(
                        bias.tensorName(l),
                        new SafetensorsWriter.Tensor(SafetensorsDtype.F32, new long[] {length}, new float[length]));
            }
        }
        return tensors;
    }

    @Test
    void aCheckpointWithQkvBiasesIsRefusedBeforeAnyWeightIsRead() throws IOException {
        LlamaConfig c = config(false);
        Path folder = TinyCheckpoints.writeFolder(dir.resolve("qwen2-style"), c, withBiases(c, 16));
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThatThrownBy(() -> checkpoint.validateAgainst(c))
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("the checkpoint " + folder + " has q/k/v biases (Qwen2-style: "
                            + "model.layers.0.self_attn.q_proj.bias and 5 more)")
                    .hasMessageContaining("this runtime's passes do not apply attention biases yet")
                    .hasMessageContaining("use a Llama checkpoint without projection biases");
            // The CPU pass's packer refuses on its own too (a source that skipped validateAgainst), before the heap
            // check and before any weight: this heap is far too small, and its refusal does not come first.
            CpuHeapCheck.HeapRoom none = new CpuHeapCheck.HeapRoom() {
                @Override
                public long maxBytes() {
                    return 0;
                }

                @Override
                public long freeBytes(boolean collectFirst) {
                    return 0;
                }
            };
            assertThatThrownBy(() -> CheckpointPacker.pack(c, checkpoint, 64, 0, none))
                    .hasMessageContaining("the checkpoint " + folder + " has q/k/v biases");
        }
        // Loading the folder is refused the same way, before a pass is chosen or an engine is touched.
        assertThatThrownBy(() -> LlamaModel.load(folder, Device.cpu(), DataType.FLOAT32))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("has q/k/v biases (Qwen2-style");
    }

    @Test
    void aBiasOfTheWrongShapeIsReportedWithTheShapes() throws IOException {
        LlamaConfig c = config(false);
        Path folder = TinyCheckpoints.writeFolder(dir.resolve("bad-bias"), c, withBiases(c, 12));
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThatThrownBy(() -> checkpoint.validateAgainst(c))
                    .hasMessageContaining("1 problem(s)")
                    .hasMessageContaining("tensor model.layers.1.self_attn.q_proj.bias in model.safetensors has "
                            + "shape [12] but the configuration needs [16]")
                    .hasMessageContaining("restore the config.json saved with these weights");
        }
    }

    @Test
    void parametersReadTheBiasesAndTheDjlPassRefusesThem() {
        LlamaConfig c = config(true);
        Map<String, float[]> values = new LinkedHashMap<>();
        withBiases(c, 16).forEach((name, tensor) -> {
            FloatBuffer data = FloatBuffer.allocate((int) TensorInfo.elementCount(tensor.shape()));
            values.put(name, data.array());
        });
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
                LlamaParameters params = LlamaParameters.load(c, new InMemoryWeights(values), manager)) {
            assertThat(params.tensors()).containsKey("model.layers.1.self_attn.v_proj.bias");
            assertThat(params.get("model.layers.0.self_attn.k_proj.bias")
                            .getShape()
                            .getShape())
                    .containsExactly(8);
            assertThatThrownBy(
                            () -> FoldedWeights.fold(params, manager.newSubManager(), Device.cpu(), DataType.FLOAT32))
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("the parameter set has q/k/v biases");
        }
    }

    private static Map<String, List<Long>> asLists(Map<String, long[]> shapes) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        shapes.forEach((name, shape) ->
                out.put(name, java.util.Arrays.stream(shape).boxed().toList()));
        return out;
    }
}
