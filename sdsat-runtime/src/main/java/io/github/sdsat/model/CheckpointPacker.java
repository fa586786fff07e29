package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaArchitecture.Part;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Packs the weights of the Java CPU pass ({@link CpuForward}) straight from the stored tensors into {@link
 * PackedMatrix} tiles, tensor by tensor and row block by row block, without DJL and without ever holding a tensor
 * (let alone the model) in float32 when it is stored in half precision. Which tensors, with which names and shapes,
 * comes from {@link LlamaArchitecture}; how they are read, from {@link TensorRows}.
 *
 * <p>What is stored how: float32 tensors are packed as float32 tiles; bfloat16 linear weights, the LM head and the
 * embedding table stay bfloat16 (2 bytes per weight; the kernels widen them exactly as they load them, {@link
 * Bf16VectorTiles}, and an embedding row is widened when it is gathered); float16 tensors are widened to float32 at
 * load, exactly ({@link SafetensorsDtype#f16BitsToFloat}, a table of all 65,536 values), and packed as float32 tiles.
 * Why float16 is widened: Java 17 has no float16 conversion ({@code Float.float16ToFloat} came in Java 20) and no
 * vector instruction for it in the vector API, and a float16 widening in Java code inside the kernels would cost more
 * than the bytes it saves. Norm gains are kept in float32 (they are applied to activations, never folded into the
 * weights, so no half-precision weight is ever re-rounded). A fused matrix ([q; k; v], [gate; up]) is bfloat16 only
 * when all its parts are.
 *
 * <p>Before anything is packed, weights with q/k/v biases are refused ({@link
 * LlamaArchitecture#refuseUnappliedBiases}: the pass does not add them) and the heap is checked ({@link
 * CpuHeapCheck#requireHeap}).
 */
final class CheckpointPacker {

    /**
     * Bytes per read: the stored tensors are read in pieces of at most this size (a row block of the output), so no
     * single read or buffer comes near the 2 GiB a Java buffer can hold, and packing needs two such buffers of
     * scratch.
     */
    static final int CHUNK_BYTES = 8 << 20;

    /** [q; k; v]: the attention's input projections, stacked row-wise into one packed matrix. */
    static final List<Part> QKV = List.of(Part.Q_PROJ, Part.K_PROJ, Part.V_PROJ);

    /** [gate; up]: the MLP's input projections, stacked row-wise into one packed matrix. */
    static final List<Part> GATE_UP = List.of(Part.GATE_PROJ, Part.UP_PROJ);

    /** The packed matrices of every layer, in the order they are packed: [q; k; v], o, [gate; up], down. */
    static final List<List<Part>> LAYER_MATRICES = List.of(QKV, List.of(Part.O_PROJ), GATE_UP, List.of(Part.DOWN_PROJ));

    private CheckpointPacker() {}

    /**
     * The packed weights of one model, in the layout {@link CpuForward} runs on: per layer the fused [q; k; v] and
     * [gate; up] rows (concatenated, never scaled), o_proj and down_proj; the LM head (the embedding table when
     * tied); the embedding table row-major in float32 ({@code embed}) or bfloat16 bits ({@code embedHalves}); the
     * RMSNorm gains in float32.
     */
    static final class Packed {
        /** [vocab, hidden] row-major float32, or null when the table is bfloat16. */
        final float[] embed;
        /** [vocab, hidden] row-major bfloat16 bits, or null when the table is float32. */
        final short[] embedHalves;

        final PackedMatrix[] qkv;
        final PackedMatrix[] o;
        final PackedMatrix[] gateUp;
        final PackedMatrix[] down;
        final PackedMatrix lmHead;
        /** [layers][hidden]: input_layernorm and post_attention_layernorm gains. */
        final float[][] inputNorm;

        final float[][] postNorm;
        /** [hidden]: model.norm, applied before the LM head. */
        final float[] finalNorm;

        private Packed(LlamaConfig c, float[] embed, short[] embedHalves, PackedMatrix lmHead, float[] finalNorm) {
            int layers = c.numLayers();
            this.embed = embed;
            this.embedHalves = embedHalves;
            this.qkv = new PackedMatrix[layers];
            this.o = new PackedMatrix[layers];
            this.gateUp = new PackedMatrix[layers];
            this.down = new PackedMatrix[layers];
            this.lmHead = lmHead;
            this.inputNorm = new float[layers][];
            this.postNorm = new float[layers][];
            this.finalNorm = finalNorm;
        }
    }

    /** Packs with the KV room of {@code -Dsdsat.kvCacheTokens} and the running JVM's heap. */
    static Packed pack(LlamaConfig c, WeightSource source, int tileWidth) {
        return pack(c, source, tileWidth, CpuHeapCheck.kvCacheTokens(c), CpuHeapCheck.runtimeHeap());
    }

    /**
     * Checks the shapes, refuses biases, checks the heap, then packs every weight of the CPU pass.
     *
     * @param source a {@link Checkpoint} or {@link SafetensorsFile} (read in its stored dtype, in pieces), or any
     *     other source (read as float32 tensor by tensor: trained parameters, weights made by tests)
     * @param kvTokens tokens of KV cache to keep heap for
     * @throws SdsatException when a tensor is missing or has another shape than the configuration's, when the weights
     *     hold q/k/v biases, or when the packed weights and the KV cache would not fit in the heap: before any weight
     *     is read
     */
    static Packed pack(LlamaConfig c, WeightSource source, int tileWidth, int kvTokens, CpuHeapCheck.HeapRoom heap) {
        Map<String, long[]> shapes = c.tensorShapes();
        TensorRows reader = TensorRows.of(source, shapes);
        Map<String, SafetensorsDtype> storedDtypes = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> storedDtypes.put(name, reader.dtype(name, shape))); // checks every shape
        LlamaArchitecture.refuseUnappliedBiases(c, source::has, describe(source));
        Function<String, SafetensorsDtype> dtypes = storedDtypes::get;
        CpuHeapCheck.requireHeap(
                c, dtypes, tileWidth, kvTokens, !(source instanceof TensorBytes), heap, describe(source));
        String embedName = Part.EMBED_TOKENS.tensorName();
        int vocab = c.vocabSize();
        int hidden = c.hiddenSize();
        boolean embedHalf = dtypes.apply(embedName) == SafetensorsDtype.BF16;
        long tableSize = (long) vocab * hidden;
        if (tableSize > Integer.MAX_VALUE - 8) {
            throw new SdsatException("the embedding table [" + vocab + ", " + hidden + "] is too large for one Java "
                    + "array on the CPU path: run it with -Dsdsat.cpuKernels=djl");
        }
        float[] embed = embedHalf ? null : new float[(int) tableSize];
        short[] embedHalves = embedHalf ? new short[(int) tableSize] : null;
        readTable(reader, embedName, vocab, hidden, embed, embedHalves);
        PackedMatrix head = packed(reader, dtypes, List.of(LlamaArchitecture.lmHeadName(c)), vocab, hidden, tileWidth);
        Packed packed = new Packed(c, embed, embedHalves, head, gains(reader, Part.FINAL_NORM.tensorName(), hidden));
        for (int l = 0; l < c.numLayers(); l++) {
            packed.qkv[l] = packed(reader, dtypes, c, QKV, l, tileWidth);
            packed.o[l] = packed(reader, dtypes, c, List.of(Part.O_PROJ), l, tileWidth);
            packed.gateUp[l] = packed(reader, dtypes, c, GATE_UP, l, tileWidth);
            packed.down[l] = packed(reader, dtypes, c, List.of(Part.DOWN_PROJ), l, tileWidth);
            packed.inputNorm[l] = gains(reader, Part.INPUT_LAYERNORM.tensorName(l), hidden);
            packed.postNorm[l] = gains(reader, Part.POST_ATTENTION_LAYERNORM.tensorName(l), hidden);
        }
        reader.done();
        return packed;
    }

    /** The names of {@code parts} in {@code layer}. */
    static List<String> names(List<Part> parts, int layer) {
        return parts.stream().map(part -> part.tensorName(layer)).toList();
    }

    /** Rows of the matrix {@code parts} stack: the sum of their output sizes. */
    static int stackedRows(LlamaConfig c, List<Part> parts) {
        return Math.toIntExact(
                parts.stream().mapToLong(part -> part.shape(c)[0]).sum());
    }

    /** Columns of the matrix {@code parts} stack: their common input size. */
    static int columns(LlamaConfig c, List<Part> parts) {
        return Math.toIntExact(parts.get(0).shape(c)[1]);
    }

    private static String describe(WeightSource source) {
        if (source instanceof Checkpoint checkpoint) {
            return "the checkpoint " + checkpoint.folder();
        }
        if (source instanceof SafetensorsFile file) {
            return "the weights " + file.file();
        }
        return "the model";
    }

    // ---------------------------------------------------------------------------------------------- packing

    /** The packed matrix of {@code parts} stacked, in {@code layer}. */
    private static PackedMatrix packed(
            TensorRows reader,
            Function<String, SafetensorsDtype> dtypes,
            LlamaConfig c,
            List<Part> parts,
            int layer,
            int tileWidth) {
        return packed(reader, dtypes, names(parts, layer), stackedRows(c, parts), columns(c, parts), tileWidth);
    }

    /** Stacks the row-major [rows_i, in] parts into one packed [Σ rows_i, in], a row block at a time. */
    private static PackedMatrix packed(
            TensorRows reader,
            Function<String, SafetensorsDtype> dtypes,
            List<String> parts,
            int out,
            int in,
            int tileWidth) {
        boolean half = CpuHeapCheck.bytesPerWeight(dtypes, parts) == 2;
        PackedMatrix matrix = PackedMatrix.allocate(out, in, tileWidth, half);
        int blockRows = Math.max(1, CHUNK_BYTES / (in * Float.BYTES));
        float[] floats = half ? null : reader.floatBlock(blockRows * in);
        short[] halves = half ? reader.halfBlock(blockRows * in) : null;
        int row = 0;
        for (String part : parts) {
            int rows = reader.rows(part);
            for (int first = 0; first < rows; first += blockRows) {
                int count = Math.min(blockRows, rows - first);
                if (half) {
                    reader.halves(part, first, count, in, halves);
                    matrix.putRows(row + first, halves, 0, count);
                } else {
                    reader.floats(part, first, count, in, floats);
                    matrix.putRows(row + first, floats, 0, count);
                }
            }
            row += rows;
        }
        if (row != out) {
            throw new IllegalStateException(parts + " hold " + row + " rows, the packed matrix " + out);
        }
        return matrix;
    }

    /** Reads a row-major table [rows, width] whole into {@code floats} or {@code halves}, in pieces. */
    private static void readTable(TensorRows reader, String name, int rows, int width, float[] floats, short[] halves) {
        int blockRows = Math.max(1, CHUNK_BYTES / (width * Float.BYTES));
        float[] floatBlock = floats == null ? null : reader.floatBlock(blockRows * width);
        short[] halfBlock = halves == null ? null : reader.halfBlock(blockRows * width);
        for (int first = 0; first < rows; first += blockRows) {
            int count = Math.min(blockRows, rows - first);
            if (halves != null) {
                reader.halves(name, first, count, width, halfBlock);
                System.arraycopy(halfBlock, 0, halves, first * width, count * width);
            } else {
                reader.floats(name, first, count, width, floatBlock);
                System.arraycopy(floatBlock, 0, floats, first * width, count * width);
            }
        }
    }

    private static float[] gains(TensorRows reader, String name, int width) {
        float[] gains = new float[width];
        reader.floats(name, 0, 1, width, gains);
        return gains;
    }
}
