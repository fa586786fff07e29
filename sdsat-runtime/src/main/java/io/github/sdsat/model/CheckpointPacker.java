package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Packs the weights of the Java CPU pass ({@link CpuForward}) straight from the stored tensors into {@link
 * PackedMatrix} tiles, tensor by tensor and row block by row block, without DJL and without ever holding a tensor
 * (let alone the model) in float32 when it is stored in half precision.
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
 * <p>Before anything is packed the heap is checked: the packed bytes plus a KV cache of {@code sdsat.kvCacheTokens}
 * tokens (default the context, at most 2,048) must fit in the heap left free, or the load is refused naming the
 * checkpoint, the heap and the {@code -Xmx} to use ({@link #requireHeap}).
 */
final class CheckpointPacker {

    /**
     * Bytes per read: the stored tensors are read in pieces of at most this size (a row block of the output), so no
     * single read or buffer comes near the 2 GiB a Java buffer can hold, and packing needs two such buffers of
     * scratch.
     */
    static final int CHUNK_BYTES = 8 << 20;

    /** Tokens of KV cache the heap check keeps room for when {@code sdsat.kvCacheTokens} is not set. */
    static final int DEFAULT_KV_CACHE_TOKENS = 2048;

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

    /** Free heap as the check sees it; see {@link #runtimeHeap()}. */
    interface HeapRoom {
        /** The JVM's maximum heap ({@code -Xmx}). */
        long maxBytes();

        /** Heap not in use by live objects: the maximum minus what is in use (after a collection, if asked). */
        long freeBytes(boolean collectFirst);
    }

    /** The running JVM's heap: {@link Runtime#maxMemory()} minus the memory in use. */
    static HeapRoom runtimeHeap() {
        return new HeapRoom() {
            @Override
            public long maxBytes() {
                return Runtime.getRuntime().maxMemory();
            }

            @Override
            public long freeBytes(boolean collectFirst) {
                if (collectFirst) {
                    System.gc(); // only before a refusal: garbage must not make a load fail that would fit
                }
                Runtime runtime = Runtime.getRuntime();
                return runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
            }
        };
    }

    /** Packs with the KV room of {@code -Dsdsat.kvCacheTokens} and the running JVM's heap. */
    static Packed pack(LlamaConfig c, WeightSource source, int tileWidth) {
        return pack(c, source, tileWidth, kvCacheTokens(c), runtimeHeap());
    }

    /**
     * Checks the heap, then packs every weight of the CPU pass.
     *
     * @param source a {@link Checkpoint} or {@link SafetensorsFile} (read in its stored dtype, in pieces), or any
     *     other source (read as float32 tensor by tensor: trained parameters, weights made by tests)
     * @param kvTokens tokens of KV cache to keep heap for
     * @throws SdsatException when the packed weights and the KV cache would not fit in the heap, before any weight is
     *     read
     */
    static Packed pack(LlamaConfig c, WeightSource source, int tileWidth, int kvTokens, HeapRoom heap) {
        Map<String, long[]> shapes = c.tensorShapes();
        Reader reader =
                source instanceof TensorBytes stored ? new StoredReader(stored) : new FloatReader(source, shapes);
        Map<String, SafetensorsDtype> storedDtypes = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> storedDtypes.put(name, reader.dtype(name, shape))); // checks every shape
        Function<String, SafetensorsDtype> dtypes = storedDtypes::get;
        requireHeap(c, dtypes, tileWidth, kvTokens, !(source instanceof TensorBytes), heap, describe(source));
        String embedName = "model.embed_tokens.weight";
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
        String headName = c.tieWordEmbeddings() ? embedName : "lm_head.weight";
        PackedMatrix head = packed(reader, dtypes, List.of(headName), vocab, hidden, tileWidth);
        Packed packed = new Packed(c, embed, embedHalves, head, gains(reader, "model.norm.weight", hidden));
        int inter = c.intermediateSize();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            packed.qkv[l] = packed(
                    reader,
                    dtypes,
                    List.of(
                            p + "self_attn.q_proj.weight",
                            p + "self_attn.k_proj.weight",
                            p + "self_attn.v_proj.weight"),
                    c.attentionSize() + 2 * c.kvSize(),
                    hidden,
                    tileWidth);
            packed.o[l] = packed(
                    reader, dtypes, List.of(p + "self_attn.o_proj.weight"), hidden, c.attentionSize(), tileWidth);
            packed.gateUp[l] = packed(
                    reader,
                    dtypes,
                    List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
                    2 * inter,
                    hidden,
                    tileWidth);
            packed.down[l] = packed(reader, dtypes, List.of(p + "mlp.down_proj.weight"), hidden, inter, tileWidth);
            packed.inputNorm[l] = gains(reader, p + "input_layernorm.weight", hidden);
            packed.postNorm[l] = gains(reader, p + "post_attention_layernorm.weight", hidden);
        }
        reader.done();
        return packed;
    }

    /** {@code -Dsdsat.kvCacheTokens}, default the context length capped at {@value #DEFAULT_KV_CACHE_TOKENS}. */
    static int kvCacheTokens(LlamaConfig c) {
        String value = System.getProperty("sdsat.kvCacheTokens");
        if (value == null || value.isBlank()) {
            return Math.min(c.maxPositions(), DEFAULT_KV_CACHE_TOKENS);
        }
        try {
            int tokens = Integer.parseInt(value.trim());
            if (tokens >= 0) {
                return tokens;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("sdsat.kvCacheTokens must be a number of tokens >= 0 (the KV cache the "
                + "heap check keeps room for: prompt + new tokens + draft slots), got '" + value + "'");
    }

    // ---------------------------------------------------------------------------------------------- heap check

    /** What the CPU pass of a model holds on the heap, by part; see {@link #estimate}. */
    record HeapEstimate(long weightBytes, long kvCacheBytes, long scratchBytes, long storedBytes) {
        long total() {
            return weightBytes + kvCacheBytes + scratchBytes;
        }
    }

    /**
     * The heap the CPU pass of this configuration needs: its packed weights (whole tiles; 2 bytes per bfloat16
     * weight, 4 otherwise), the embedding table, the norm gains, a float32 KV cache of {@code kvTokens} tokens, the
     * read buffers and, for a source read as float32 ({@code wholeTensors}), one tensor in float32.
     */
    static HeapEstimate estimate(
            LlamaConfig c,
            Function<String, SafetensorsDtype> dtypes,
            int tileWidth,
            int kvTokens,
            boolean wholeTensors) {
        int hidden = c.hiddenSize();
        int inter = c.intermediateSize();
        long weights = 0;
        long stored = 0;
        long largest = 0;
        for (var entry : c.tensorShapes().entrySet()) {
            long count = TensorInfo.elementCount(entry.getValue());
            stored += count * dtypes.apply(entry.getKey()).bytes();
            largest = Math.max(largest, count);
        }
        String embedName = "model.embed_tokens.weight";
        weights += (long) c.vocabSize() * hidden * bytesPerWeight(dtypes, List.of(embedName));
        String head = c.tieWordEmbeddings() ? embedName : "lm_head.weight";
        weights += PackedMatrix.elements(c.vocabSize(), hidden, tileWidth) * bytesPerWeight(dtypes, List.of(head));
        weights += (2L * c.numLayers() + 1) * hidden * Float.BYTES;
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            List<String> qkv = List.of(
                    p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight");
            weights += PackedMatrix.elements(c.attentionSize() + 2 * c.kvSize(), hidden, tileWidth)
                    * bytesPerWeight(dtypes, qkv);
            weights += PackedMatrix.elements(hidden, c.attentionSize(), tileWidth)
                    * bytesPerWeight(dtypes, List.of(p + "self_attn.o_proj.weight"));
            weights += PackedMatrix.elements(2 * inter, hidden, tileWidth)
                    * bytesPerWeight(dtypes, List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"));
            weights += PackedMatrix.elements(hidden, inter, tileWidth)
                    * bytesPerWeight(dtypes, List.of(p + "mlp.down_proj.weight"));
        }
        long kv = 2L * c.numLayers() * kvTokens * c.kvSize() * Float.BYTES;
        // Read buffers and a row block in float32 and bfloat16, plus the forward pass's scratch for 16 rows.
        long scratch = 3L * CHUNK_BYTES
                + 16L * Float.BYTES * (3L * hidden + 2 * inter + c.attentionSize() + 3L * c.kvSize() + c.vocabSize());
        if (wholeTensors) {
            scratch += largest * Float.BYTES;
        }
        return new HeapEstimate(weights, kv, scratch, stored);
    }

    private static int bytesPerWeight(Function<String, SafetensorsDtype> dtypes, List<String> parts) {
        return parts.stream().allMatch(name -> dtypes.apply(name) == SafetensorsDtype.BF16) ? 2 : Float.BYTES;
    }

    /**
     * Refuses a model whose CPU pass would not fit in the heap left free: the message names the checkpoint and its
     * size, the estimate by part, the heap, and the fix ({@code -Xmx}, {@code MAVEN_OPTS}, or a smaller KV room).
     */
    static void requireHeap(
            LlamaConfig c,
            Function<String, SafetensorsDtype> dtypes,
            int tileWidth,
            int kvTokens,
            boolean wholeTensors,
            HeapRoom heap,
            String what) {
        HeapEstimate need = estimate(c, dtypes, tileWidth, kvTokens, wholeTensors);
        long free = heap.freeBytes(false);
        if (need.total() <= free) {
            return;
        }
        free = heap.freeBytes(true);
        if (need.total() <= free) {
            return;
        }
        long max = heap.maxBytes();
        long inUse = Math.max(0, max - free);
        long suggestedGiB = (long) Math.ceil((need.total() + inUse) * 1.05 / (1L << 30));
        throw new SdsatException(what + " (" + gb(need.storedBytes()) + " of weights as stored) needs about "
                + gb(need.total()) + " of heap on the Java CPU pass: " + gb(need.weightBytes()) + " of packed "
                + "weights (" + storage(c, dtypes) + "), " + gb(need.kvCacheBytes()) + " for a float32 KV cache of "
                + kvTokens + " tokens (-Dsdsat.kvCacheTokens) and " + gb(need.scratchBytes()) + " of buffers; the "
                + "JVM's maximum heap is " + gb(max) + (inUse > 0 ? ", of which " + gb(inUse) + " is in use" : "")
                + ". Start the JVM with a larger heap: -Xmx" + suggestedGiB + "g (for Maven: MAVEN_OPTS=-Xmx"
                + suggestedGiB + "g; for the gates' forked JVMs add it to -Dsdsat.testArgLine), on a machine with "
                + "that much memory free, or lower -Dsdsat.kvCacheTokens if generations are shorter");
    }

    private static String storage(LlamaConfig c, Function<String, SafetensorsDtype> dtypes) {
        boolean anyHalf =
                c.tensorShapes().keySet().stream().anyMatch(name -> dtypes.apply(name) == SafetensorsDtype.BF16);
        return anyHalf ? "bfloat16 kept as 2 bytes per weight" : "float32, 4 bytes per weight";
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
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

    /** Stacks the row-major [rows_i, in] parts into one packed [Σ rows_i, in], a row block at a time. */
    private static PackedMatrix packed(
            Reader reader,
            Function<String, SafetensorsDtype> dtypes,
            List<String> parts,
            int out,
            int in,
            int tileWidth) {
        boolean half = bytesPerWeight(dtypes, parts) == 2;
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
    private static void readTable(Reader reader, String name, int rows, int width, float[] floats, short[] halves) {
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

    private static float[] gains(Reader reader, String name, int width) {
        float[] gains = new float[width];
        reader.floats(name, 0, 1, width, gains);
        return gains;
    }

    // ---------------------------------------------------------------------------------------------- readers

    /**
     * Rows of the stored tensors, by name: widened exactly to float32, or as bfloat16 bits when stored so; and the
     * row-block arrays, reused from matrix to matrix (a 7B model has 160 matrices: 8 MiB of garbage each otherwise).
     */
    private abstract static class Reader {
        private float[] floatBlock = new float[0];
        private short[] halfBlock = new short[0];

        float[] floatBlock(int n) {
            if (floatBlock.length < n) {
                floatBlock = new float[n];
            }
            return floatBlock;
        }

        short[] halfBlock(int n) {
            if (halfBlock.length < n) {
                halfBlock = new short[n];
            }
            return halfBlock;
        }

        /** The stored dtype; checks the stored shape against {@code shape} (the configuration's). */
        abstract SafetensorsDtype dtype(String name, long[] shape);

        /** Rows of a matrix (1 for a vector). */
        abstract int rows(String name);

        /** Rows [first, first + count) of width {@code width} into {@code out[0 ..]}, as float32. */
        abstract void floats(String name, long first, int count, int width, float[] out);

        /** As {@link #floats}, as bfloat16 bits; only for a tensor stored in bfloat16. */
        abstract void halves(String name, long first, int count, int width, short[] out);

        /** Releases what the reader holds. */
        void done() {
            floatBlock = new float[0];
            halfBlock = new short[0];
        }
    }

    /** Reads the stored bytes in pieces of at most {@link #CHUNK_BYTES} through one reused buffer. */
    private static final class StoredReader extends Reader {
        private final TensorBytes source;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private short[] bits = new short[0];

        StoredReader(TensorBytes source) {
            this.source = source;
        }

        @Override
        SafetensorsDtype dtype(String name, long[] shape) {
            TensorInfo info = source.info(name);
            if (shape != null && !Arrays.equals(info.shape(), shape)) {
                throw new SdsatException("tensor '" + name + "' in " + info.file() + " has shape "
                        + Arrays.toString(info.shape()) + " but the configuration needs " + Arrays.toString(shape)
                        + "; config.json and the safetensors files must come from the same model");
            }
            return info.dtype();
        }

        @Override
        int rows(String name) {
            long[] shape = source.info(name).shape();
            return shape.length < 2 ? 1 : Math.toIntExact(shape[0]);
        }

        @Override
        void floats(String name, long first, int count, int width, float[] out) {
            TensorInfo info = source.info(name);
            int n = count * width;
            switch (info.dtype()) {
                case F32 ->
                    read(info, first * width * 4, n * 4L, (bytes, at) -> {
                        int floats = bytes.remaining() / 4;
                        bytes.asFloatBuffer().get(out, at, floats);
                        return floats;
                    });
                case BF16, F16 -> {
                    short[] halves = bitsFor(n);
                    readBits(info, first * width, n, halves);
                    boolean bf16 = info.dtype() == SafetensorsDtype.BF16;
                    for (int i = 0; i < n; i++) {
                        out[i] = bf16
                                ? SafetensorsDtype.bf16BitsToFloat(halves[i])
                                : SafetensorsDtype.f16BitsToFloat(halves[i]);
                    }
                }
            }
        }

        @Override
        void halves(String name, long first, int count, int width, short[] out) {
            TensorInfo info = source.info(name);
            if (info.dtype() != SafetensorsDtype.BF16) {
                throw new IllegalStateException(name + " is " + info.dtype() + ", not bfloat16");
            }
            readBits(info, first * width, count * width, out);
        }

        private void readBits(TensorInfo info, long firstElement, int n, short[] out) {
            read(info, firstElement * 2, n * 2L, (bytes, at) -> {
                int shorts = bytes.remaining() / 2;
                bytes.asShortBuffer().get(out, at, shorts);
                return shorts;
            });
        }

        private short[] bitsFor(int n) {
            if (bits.length < n) {
                bits = new short[n];
            }
            return bits;
        }

        /** Reads {@code length} bytes from {@code offset} of the tensor, a buffer at a time, into {@code sink}. */
        private void read(TensorInfo info, long offset, long length, Sink sink) {
            int at = 0;
            for (long done = 0; done < length; ) {
                int piece = (int) Math.min(CHUNK_BYTES, length - done);
                buffer.clear().limit(piece);
                source.readBytes(info, offset + done, buffer);
                buffer.flip();
                at += sink.take(buffer.order(ByteOrder.LITTLE_ENDIAN), at);
                done += piece;
            }
        }

        @Override
        void done() {
            super.done();
            bits = new short[0];
        }
    }

    /** Takes one buffer of bytes into the output from element {@code at}; returns the elements taken. */
    @FunctionalInterface
    private interface Sink {
        int take(ByteBuffer bytes, int at);
    }

    /** Any other source: one tensor at a time as float32 (these sources hold their tensors in memory already). */
    private static final class FloatReader extends Reader {
        private final WeightSource source;
        private final Map<String, long[]> shapes;
        private String current;
        private FloatBuffer data;

        FloatReader(WeightSource source, Map<String, long[]> shapes) {
            this.source = source;
            this.shapes = shapes;
        }

        @Override
        SafetensorsDtype dtype(String name, long[] shape) {
            return SafetensorsDtype.F32;
        }

        @Override
        int rows(String name) {
            long[] shape = shapes.get(name);
            return shape.length < 2 ? 1 : Math.toIntExact(shape[0]);
        }

        @Override
        void floats(String name, long first, int count, int width, float[] out) {
            if (!name.equals(current)) {
                data = null; // the previous tensor may be collected before the next is read
                data = source.tensor(name, shapes.get(name));
                current = name;
            }
            data.get(Math.toIntExact(first * width), out, 0, count * width);
        }

        @Override
        void halves(String name, long first, int count, int width, short[] out) {
            throw new IllegalStateException(name + " is read as float32");
        }

        @Override
        void done() {
            super.done();
            data = null;
            current = null;
        }
    }
}
