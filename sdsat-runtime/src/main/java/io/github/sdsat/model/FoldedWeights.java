package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.model.LlamaArchitecture.Part;

/**
 * The weights in the layout the forward pass runs on, derived from {@link LlamaParameters} by differentiable ops.
 *
 * <p>Why fold: each RMSNorm weight multiplies the input columns of the linear that follows it, and 1/sqrt(head_dim)
 * multiplies the query rows, so the forward pass saves one op per norm and one per attention, and Q, K, V (and
 * gate, up) run as one fused linear each. The math is exactly HF Llama's (W·diag(g) x = W (g ⊙ x)). Training
 * re-folds every step inside the gradient recorder, so gradients reach the raw HF tensors.
 *
 * <p>The DJL pass only: the Java CPU pass applies the gains and the query scale to activations instead, so that
 * half-precision weights are used exactly as stored ({@link CheckpointPacker}).
 */
public final class FoldedWeights implements AutoCloseable {
    /** Per layer: fused [q;k;v] rows times input-norm weight, o_proj, fused [gate;up] times post-norm weight, down. */
    final NDArray[] qkv;

    final NDArray[] o;
    final NDArray[] gateUp;
    final NDArray[] down;
    final NDArray embed;
    final NDArray lmHead;
    private final NDManager owner;

    private FoldedWeights(int layers, NDArray embed, NDArray lmHead, NDManager owner) {
        this.qkv = new NDArray[layers];
        this.o = new NDArray[layers];
        this.gateUp = new NDArray[layers];
        this.down = new NDArray[layers];
        this.embed = embed;
        this.lmHead = lmHead;
        this.owner = owner;
    }

    /**
     * Folds the parameters. With {@code manager} a fresh manager, the results are attached there (close it to free
     * them); under a gradient recorder the results stay connected to the parameters.
     *
     * @throws io.github.sdsat.SdsatException when the parameters hold q/k/v biases, which this pass does not add
     */
    public static FoldedWeights fold(LlamaParameters p, NDManager manager, Device device, DataType dtype) {
        LlamaConfig c = p.config();
        // Parameters loaded with q/k/v biases (LlamaParameters reads them): this pass would drop them silently.
        LlamaArchitecture.refuseUnappliedBiases(c, p.tensors()::containsKey, "the parameter set");
        // Results of DJL ops attach to their first operand's manager (here: the parameters'); every intermediate
        // is moved into `manager` at once so that repeated folding (one per training step) leaks nothing.
        java.util.function.UnaryOperator<NDArray> own = a -> {
            a.attach(manager);
            return a;
        };
        NDArray qScale = manager.create((float) (1.0 / Math.sqrt(c.headDim())));
        NDArray embed = attach(p.get(Part.EMBED_TOKENS.tensorName()), manager, device, dtype);
        NDArray finalNorm = own.apply(p.get(Part.FINAL_NORM.tensorName()).reshape(1, c.hiddenSize()));
        NDArray head = p.get(LlamaArchitecture.lmHeadName(c));
        NDArray lmHead = attach(own.apply(head.mul(finalNorm)), manager, device, dtype);
        FoldedWeights w = new FoldedWeights(c.numLayers(), embed, lmHead, manager);
        for (int i = 0; i < c.numLayers(); i++) {
            NDArray inNorm = own.apply(p.get(Part.INPUT_LAYERNORM.tensorName(i)).reshape(1, c.hiddenSize()));
            NDArray postNorm =
                    own.apply(p.get(Part.POST_ATTENTION_LAYERNORM.tensorName(i)).reshape(1, c.hiddenSize()));
            NDArray q = own.apply(p.get(Part.Q_PROJ.tensorName(i)).mul(qScale));
            NDArray qkv = own.apply(NDArrays.concat(
                    new NDList(q, p.get(Part.K_PROJ.tensorName(i)), p.get(Part.V_PROJ.tensorName(i))), 0));
            w.qkv[i] = attach(own.apply(qkv.mul(inNorm)), manager, device, dtype);
            w.o[i] = attach(p.get(Part.O_PROJ.tensorName(i)), manager, device, dtype);
            NDArray gateUp = own.apply(NDArrays.concat(
                    new NDList(p.get(Part.GATE_PROJ.tensorName(i)), p.get(Part.UP_PROJ.tensorName(i))), 0));
            w.gateUp[i] = attach(own.apply(gateUp.mul(postNorm)), manager, device, dtype);
            w.down[i] = attach(p.get(Part.DOWN_PROJ.tensorName(i)), manager, device, dtype);
        }
        return w;
    }

    /**
     * Moves an array to the target device and dtype in {@code manager}. An array already there is returned
     * unchanged (a raw parameter stays connected to its gradient).
     */
    private static NDArray attach(NDArray a, NDManager manager, Device device, DataType dtype) {
        NDArray r = a;
        if (!a.getDevice().equals(device) || a.getDataType() != dtype) {
            r = a.toDevice(device, false).toType(dtype, false);
        }
        if (r != a) {
            r.attach(manager);
        }
        return r;
    }

    /**
     * Moves every array, including raw parameters used as they are (o_proj, down_proj, embeddings), into this
     * object's manager, so the parameters can be closed while these weights live on (inference).
     */
    FoldedWeights ownAll() {
        java.util.List<NDArray> all = new java.util.ArrayList<>(java.util.List.of(embed, lmHead));
        for (NDArray[] group : new NDArray[][] {qkv, o, gateUp, down}) {
            all.addAll(java.util.Arrays.asList(group));
        }
        all.forEach(a -> a.attach(owner));
        return this;
    }

    /** Releases the folded arrays (the raw parameters are untouched). */
    @Override
    public void close() {
        owner.close();
    }
}
