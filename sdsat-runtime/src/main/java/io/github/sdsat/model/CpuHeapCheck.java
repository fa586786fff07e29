package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.LlamaArchitecture.Part;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Whether the Java CPU pass of a model fits in the heap, checked before anything is packed ({@link
 * CheckpointPacker}): the packed bytes plus a KV cache of {@code sdsat.kvCacheTokens} tokens (default the context, at
 * most {@value #DEFAULT_KV_CACHE_TOKENS}) must fit in the heap left free, or the load is refused naming the
 * checkpoint, the heap and the {@code -Xmx} to use ({@link #requireHeap}).
 */
final class CpuHeapCheck {

    /** Tokens of KV cache the heap check keeps room for when {@code sdsat.kvCacheTokens} is not set. */
    static final int DEFAULT_KV_CACHE_TOKENS = 2048;

    private CpuHeapCheck() {}

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
        weights += (long) c.vocabSize() * hidden * bytesPerWeight(dtypes, List.of(Part.EMBED_TOKENS.tensorName()));
        weights += PackedMatrix.elements(c.vocabSize(), hidden, tileWidth)
                * bytesPerWeight(dtypes, List.of(LlamaArchitecture.lmHeadName(c)));
        weights += (2L * c.numLayers() + 1) * hidden * Float.BYTES;
        for (int l = 0; l < c.numLayers(); l++) {
            for (List<Part> matrix : CheckpointPacker.LAYER_MATRICES) {
                weights += PackedMatrix.elements(
                                CheckpointPacker.stackedRows(c, matrix), CheckpointPacker.columns(c, matrix), tileWidth)
                        * bytesPerWeight(dtypes, CheckpointPacker.names(matrix, l));
            }
        }
        long kv = 2L * c.numLayers() * kvTokens * c.kvSize() * Float.BYTES;
        // Read buffers and a row block in float32 and bfloat16, plus the forward pass's scratch for 16 rows.
        long scratch = 3L * CheckpointPacker.CHUNK_BYTES
                + 16L * Float.BYTES * (3L * hidden + 2 * inter + c.attentionSize() + 3L * c.kvSize() + c.vocabSize());
        if (wholeTensors) {
            scratch += largest * Float.BYTES;
        }
        return new HeapEstimate(weights, kv, scratch, stored);
    }

    /** 2 when every part of a packed matrix is bfloat16 (the matrix stays bfloat16), else 4. */
    static int bytesPerWeight(Function<String, SafetensorsDtype> dtypes, List<String> parts) {
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
}
