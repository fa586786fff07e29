package io.github.sdsat.widen;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaArchitecture;
import io.github.sdsat.model.LlamaArchitecture.Part;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter.Rows;
import io.github.sdsat.model.SafetensorsWriter.StreamedTensor;
import io.github.sdsat.model.WeightSource;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A function-preserving widening of a Llama checkpoint into a larger shape: the widened model computes the source's
 * logits (to float rounding) for every input, at the cost of the larger shape. It gives a trained model, whose drafts
 * are real, the memory traffic of a 7B model (docs/PAPER-SCALE.md). With source sizes hidden h, intermediate i,
 * head_dim d and target sizes H = m·h, I = n·i, D = r·d:
 *
 * <ul>
 *   <li><b>residual stream</b>: the target's hidden vector is the source's copied m times (element b is source
 *       element b mod h), so RMSNorm sees the same mean square and its gains are copied; the embedding rows are
 *       copied the same way;
 *   <li><b>every linear layer that reads the stream</b> (q, k, v, gate, up, LM head) has its input columns copied
 *       with weights / m, so the m copies sum to the source's product; every layer that writes to the stream (o,
 *       down) has its output rows copied;
 *   <li><b>MLP</b>: gate and up rows are copied n times, down's input columns copied with weights / n;
 *   <li><b>attention</b>: source query head h goes to target head (h / g)·G + h mod g (g, G the source's and target's
 *       query heads per key/value head; the first heads when both are 1), source key/value head c to target head c.
 *       Within a head, RoPE (rotate-half, docs/DESIGN.md §3) pairs dimension j with j + d/2 at frequency
 *       θ^(−2j/d); source pair j goes to target pair r·j, whose frequency θ^(−2rj/D) is the same because rope_theta
 *       is kept. Every other dimension of q and k is zero, so the dot products are the source's; q is scaled by
 *       √r because attention divides by √D instead of √d. The target's extra heads have zero q, k, v rows and zero
 *       o_proj columns: they cost a head's work and contribute nothing;
 *   <li><b>extra layers</b> (target layers beyond the source's) copy source layer (l mod L) widened, with o_proj and
 *       down_proj zero: the residual passes through unchanged, at a full layer's cost;
 *   <li>the LM head is untied (the embedding is copied, the head divided by m); vocabulary, rope_theta,
 *       rms_norm_eps, context, BOS and EOS stay the source's.
 * </ul>
 *
 * Checked on the embedded model in float64 (m = 2, 6 layers, 8 heads × 128): logits equal to 3e-14; the tests hold
 * the float32 and bfloat16 outputs of this class to the source's ({@code WideningTest}).
 *
 * <p>The mapping methods are package-private and overridable so a test can break one rule and see the check fail.
 */
public class Widening {

    /**
     * The target shape; every size not named here is the source's.
     *
     * @param hiddenSize {@code hidden_size}, a multiple of the source's
     * @param intermediateSize {@code intermediate_size}, a multiple of the source's
     * @param numLayers {@code num_hidden_layers}, at least the source's
     * @param numHeads {@code num_attention_heads}
     * @param numKvHeads {@code num_key_value_heads}, at least the source's, with at least the source's query heads
     *     per key/value head
     * @param headDim {@code head_dim}, a multiple of the source's
     */
    public record Shape(
            int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads, int headDim) {

        /** Llama-2-7B's and CodeLlama-7B's shape: hidden 4096, intermediate 11008, 32 layers, 32 heads of 128. */
        public static final Shape LLAMA_7B = new Shape(4096, 11008, 32, 32, 32, 128);

        /** The source's own shape (a widening by 1 in every dimension: a copy). */
        public static Shape of(LlamaConfig config) {
            return new Shape(
                    config.hiddenSize(),
                    config.intermediateSize(),
                    config.numLayers(),
                    config.numHeads(),
                    config.numKvHeads(),
                    config.headDim());
        }
    }

    private final LlamaConfig source;
    private final LlamaConfig target;
    /** m, n, r of the class comment. */
    private final int hiddenFactor;

    private final int intermediateFactor;
    private final int headDimFactor;

    Widening(LlamaConfig source, LlamaConfig target) {
        this.source = source;
        this.target = target;
        this.hiddenFactor = target.hiddenSize() / source.hiddenSize();
        this.intermediateFactor = target.intermediateSize() / source.intermediateSize();
        this.headDimFactor = target.headDim() / source.headDim();
    }

    /**
     * The widening of {@code source} into {@code shape}, checked before anything is read or written.
     *
     * @param dtype the dtype the target will be written in (its config.json's {@code torch_dtype})
     * @throws SdsatException listing every size that does not allow a function-preserving widening, each with the
     *     fix
     */
    public static Widening of(LlamaConfig source, Shape shape, SafetensorsDtype dtype) {
        List<String> problems = new ArrayList<>();
        multiple(
                problems,
                "hidden_size (--hidden)",
                shape.hiddenSize(),
                source.hiddenSize(),
                "the residual stream is the source's copied m times");
        multiple(
                problems,
                "intermediate_size (--intermediate)",
                shape.intermediateSize(),
                source.intermediateSize(),
                "the MLP's rows are the source's copied n times");
        multiple(
                problems,
                "head_dim (--head-dim)",
                shape.headDim(),
                source.headDim(),
                "RoPE pair j moves to pair r·j of the same frequency, so r = target/source must be an integer");
        if (shape.numLayers() < source.numLayers()) {
            problems.add("num_hidden_layers (--layers) " + shape.numLayers() + " is fewer than the source's "
                    + source.numLayers() + ": a widening keeps every source layer and adds layers that change "
                    + "nothing; use at least " + source.numLayers());
        }
        if (shape.numKvHeads() < source.numKvHeads()) {
            problems.add("num_key_value_heads (--kv-heads) " + shape.numKvHeads() + " is fewer than the source's "
                    + source.numKvHeads() + ": every source key/value head needs a target head of its own; use at "
                    + "least " + source.numKvHeads());
        }
        if (shape.numKvHeads() > 0 && shape.numHeads() % shape.numKvHeads() != 0) {
            problems.add("num_attention_heads (--heads) " + shape.numHeads() + " is not a multiple of "
                    + "num_key_value_heads (--kv-heads) " + shape.numKvHeads()
                    + ": each key/value head serves a whole group of query heads");
        } else if (shape.numKvHeads() > 0 && shape.numHeads() / shape.numKvHeads() < source.queriesPerKvHead()) {
            problems.add("num_attention_heads / num_key_value_heads (--heads / --kv-heads) is "
                    + shape.numHeads() / shape.numKvHeads() + ", fewer than the source's " + source.queriesPerKvHead()
                    + " query heads per key/value head: a source group must fit in a target group; use at least "
                    + source.queriesPerKvHead() * Math.max(shape.numKvHeads(), 1) + " heads");
        }
        if (!problems.isEmpty()) {
            throw refused(source, shape, problems);
        }
        LlamaConfig target;
        try {
            target = new LlamaConfig(
                    shape.hiddenSize(),
                    shape.intermediateSize(),
                    shape.numLayers(),
                    shape.numHeads(),
                    shape.numKvHeads(),
                    shape.headDim(),
                    source.vocabSize(),
                    source.rmsNormEps(),
                    source.ropeTheta(),
                    source.maxPositions(),
                    false,
                    source.bosTokenId(),
                    source.eosTokenIds(),
                    dtype.torchName());
        } catch (IllegalArgumentException e) {
            throw refused(source, shape, List.of(e.getMessage()));
        }
        return new Widening(source, target);
    }

    private static void multiple(List<String> problems, String field, int value, int sourceValue, String why) {
        if (value <= 0 || value % sourceValue != 0) {
            problems.add(field + " " + value + " is not a positive multiple of the source's " + sourceValue + " (" + why
                    + "); use " + sourceValue + "·k, e.g. " + sourceValue * Math.max(2, value / sourceValue));
        }
    }

    private static SdsatException refused(LlamaConfig source, Shape shape, List<String> problems) {
        return new SdsatException("cannot widen the source (hidden " + source.hiddenSize() + ", intermediate "
                + source.intermediateSize() + ", " + source.numLayers() + " layers, " + source.numHeads() + " heads ("
                + source.numKvHeads() + " key/value) of " + source.headDim() + ") into " + shape + "; nothing was "
                + "written. " + problems.size() + " problem(s):\n  - " + String.join("\n  - ", problems));
    }

    public LlamaConfig source() {
        return source;
    }

    /** The target's configuration (untied, the source's vocabulary, rope_theta, norms, context and ids). */
    public LlamaConfig target() {
        return target;
    }

    // ---------------------------------------------------------------------------------------------- the mapping

    /** Scale of every weight reading the residual stream: its m copies must sum to one. */
    double inputScale() {
        return 1.0 / hiddenFactor;
    }

    /** Extra scale of q: attention divides by √(target head_dim) instead of √(source head_dim). */
    double queryScale() {
        return Math.sqrt(headDimFactor);
    }

    /**
     * The source dimension a target head dimension carries, or -1: source pair j (dimensions j and j + d/2) sits at
     * target pair r·j (dimensions r·j and r·j + D/2), which rotates at the same frequency.
     */
    int sourceHeadDim(int targetDim) {
        int half = target.headDim() / 2;
        int offset = targetDim < half ? 0 : half;
        int within = targetDim - offset;
        if (within % headDimFactor != 0) {
            return -1;
        }
        return (offset == 0 ? 0 : source.headDim() / 2) + within / headDimFactor;
    }

    /** The source query head a target query head carries, or -1 for an extra head. */
    int sourceQueryHead(int targetHead) {
        int group = target.queriesPerKvHead();
        int kvHead = targetHead / group;
        int within = targetHead % group;
        return kvHead < source.numKvHeads() && within < source.queriesPerKvHead()
                ? kvHead * source.queriesPerKvHead() + within
                : -1;
    }

    /** The source key/value head a target key/value head carries, or -1 for an extra head. */
    int sourceKvHead(int targetHead) {
        return targetHead < source.numKvHeads() ? targetHead : -1;
    }

    /** For each target row of q (or column of o_proj): the source row (column), or -1. */
    private int[] queryRows() {
        return headRows(target.numHeads(), this::sourceQueryHead);
    }

    private int[] kvRows() {
        return headRows(target.numKvHeads(), this::sourceKvHead);
    }

    private int[] headRows(int targetHeads, java.util.function.IntUnaryOperator sourceHead) {
        int[] rows = new int[targetHeads * target.headDim()];
        for (int head = 0; head < targetHeads; head++) {
            int from = sourceHead.applyAsInt(head);
            for (int dim = 0; dim < target.headDim(); dim++) {
                int sourceDim = from < 0 ? -1 : sourceHeadDim(dim);
                rows[head * target.headDim() + dim] = sourceDim < 0 ? -1 : from * source.headDim() + sourceDim;
            }
        }
        return rows;
    }

    private static int[] modulo(int length, int period) {
        int[] map = new int[length];
        for (int i = 0; i < length; i++) {
            map[i] = i % period;
        }
        return map;
    }

    // ---------------------------------------------------------------------------------------------- the tensors

    /**
     * The target's tensors, in config order, each made row by row from {@code weights} (the source's tensors, read
     * when that tensor is written and dropped after it), to write in {@code dtype}.
     */
    public Map<String, StreamedTensor> tensors(WeightSource weights, SafetensorsDtype dtype) {
        int hidden = source.hiddenSize();
        int[] hiddenColumns = modulo(target.hiddenSize(), hidden);
        int[] hiddenRows = hiddenColumns;
        int[] intermediateRows = modulo(target.intermediateSize(), source.intermediateSize());
        int[] queryRows = queryRows();
        int[] kvRows = kvRows();
        double in = inputScale();
        String embedding = Part.EMBED_TOKENS.tensorName();
        String head = LlamaArchitecture.lmHeadName(source);
        // Widening rules exist for the required tensors only: refuse a source whose biases would be dropped.
        LlamaArchitecture.refuseUnappliedBiases(source, weights::has, "the source");

        Map<String, StreamedTensor> tensors = new LinkedHashMap<>();
        for (LlamaArchitecture.Tensor tensor : LlamaArchitecture.required(target)) {
            String name = tensor.name();
            long[] shape = tensor.shape(target);
            boolean extra = tensor.layer() >= source.numLayers();
            // the source tensor of the same part in layer l mod L (model-level parts: the same name)
            String from = tensor.layer() < 0 ? name : tensor.part().tensorName(tensor.layer() % source.numLayers());
            Supplier<Rows> rows = switch (tensor.part()) {
                case EMBED_TOKENS ->
                    () -> rowsReading(weights, embedding, identity(source.vocabSize()), hiddenColumns, hidden, 1.0);
                case LM_HEAD ->
                    () -> rowsReading(weights, head, identity(source.vocabSize()), hiddenColumns, hidden, in);
                case FINAL_NORM, INPUT_LAYERNORM, POST_ATTENTION_LAYERNORM ->
                    () -> copies(weights, from, hiddenColumns);
                case Q_PROJ -> () -> rowsReading(weights, from, queryRows, hiddenColumns, hidden, in * queryScale());
                case K_PROJ, V_PROJ -> () -> rowsReading(weights, from, kvRows, hiddenColumns, hidden, in);
                case GATE_PROJ, UP_PROJ ->
                    () -> rowsReading(weights, from, intermediateRows, hiddenColumns, hidden, in);
                case O_PROJ ->
                    extra
                            ? Widening::zeros
                            : () -> rowsReading(weights, from, hiddenRows, queryRows, source.attentionSize(), 1.0);
                case DOWN_PROJ ->
                    extra
                            ? Widening::zeros
                            : () -> rowsReading(
                                    weights,
                                    from,
                                    hiddenRows,
                                    intermediateRows,
                                    source.intermediateSize(),
                                    1.0 / intermediateFactor);
                case Q_BIAS, K_BIAS, V_BIAS -> throw new IllegalStateException("no widening rule for tensor " + name);
            };
            tensors.put(name, new StreamedTensor(dtype, shape, rows));
        }
        return tensors;
    }

    private static int[] identity(int length) {
        return modulo(length, Integer.MAX_VALUE);
    }

    private static Rows zeros() {
        return (row, out) -> Arrays.fill(out, 0f);
    }

    /** A 1-D tensor copied: element b is source element {@code columns[b]}. */
    private Rows copies(WeightSource weights, String name, int[] columns) {
        float[] values = read(weights, name);
        return (row, out) -> {
            for (int b = 0; b < out.length; b++) {
                out[b] = values[columns[b]];
            }
        };
    }

    /**
     * A 2-D tensor [rows, columns] whose element (R, C) is source element (rows[R], columns[C]) times {@code scale},
     * or 0 where either map says -1.
     */
    private Rows rowsReading(
            WeightSource weights, String name, int[] rows, int[] columns, int sourceColumns, double scale) {
        float[] values = read(weights, name);
        return (row, out) -> {
            int from = rows[(int) row];
            if (from < 0) {
                Arrays.fill(out, 0f);
                return;
            }
            int base = from * sourceColumns;
            for (int c = 0; c < out.length; c++) {
                int column = columns[c];
                out[c] = column < 0 ? 0f : (float) (values[base + column] * scale);
            }
        };
    }

    /** A source tensor, its shape checked against the source's configuration. */
    private float[] read(WeightSource weights, String name) {
        LlamaArchitecture.Tensor tensor = LlamaArchitecture.parse(name)
                .orElseThrow(() -> new IllegalStateException(name + " is no tensor of the Llama architecture"));
        FloatBuffer buffer = weights.tensor(name, tensor.shape(source));
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        return values;
    }
}
