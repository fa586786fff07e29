package io.github.sdsat.model;

import ai.djl.ndarray.NDArray;
import java.util.function.IntConsumer;

/**
 * One implementation of the Llama forward pass behind {@link LlamaModel}: the Java CPU pass ({@link CpuForward}) or
 * the DJL graph ({@link DjlPass}). A pass owns its weights and creates its own KV cache; {@link LlamaModel} checks
 * what is common to both, counts passes ({@link PassMeter}) and delegates everything else here.
 *
 * <p>Every method that runs a pass may be called from several threads: a pass runs one call at a time (its scratch
 * buffers, RoPE tables and causal mask belong to it).
 */
interface ForwardPass extends AutoCloseable {
    /** A KV cache of this pass's storage for {@code capacity} tokens (at most the model's context). */
    KvCache newCache(int capacity);

    /**
     * Feeds {@code tokens} at {@code positions} after the cached ones and returns the logits rows from
     * {@code logitsFrom} on, float32 [tokens.length - logitsFrom, vocab] row-major; appends the new K/V to the cache.
     *
     * @param mask additive float mask [tokens.length, cache.length() + tokens.length] row-major, or null for causal
     */
    float[] logits(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom);

    /** Greedy choice ({@link Argmax}) of each logits row from {@code logitsFrom} on; see {@link #logits}. */
    long[] argmax(KvCache cache, long[] tokens, long[] positions, float[] mask, int logitsFrom);

    /**
     * The NDArray form (training, tools, tests): tokens and positions int64 [n] (with a cache) or [batch, n]
     * (without), mask [n, cached + n] or [batch, n, n] or null; float32 logits [n - logitsFrom, vocab] (or [batch,
     * n - logitsFrom, vocab]) attached to the manager of {@code tokens}.
     *
     * @param countPass told the width of every pass this call runs (the DJL graph runs a batch as one pass, the Java
     *     pass one pass per sequence), so the model's {@link PassMeter} counts what ran
     */
    NDArray forward(
            NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom, IntConsumer countPass);

    /** Which pass runs, for reports: "java vector (512-bit), 2 threads" or "djl (cpu(), float32)". */
    String describe();

    /**
     * The precision of the weights as this pass holds them, for a report's dtype: "float32", "float16", or
     * "bfloat16" when the Java pass keeps bfloat16 matrices (their arithmetic is float32, as {@link #describe} says).
     */
    String weightPrecision();

    /** Bytes of weights one pass reads, for the roofline and the achieved bandwidth. */
    long weightBytesPerPass();

    /** Returns once every op queued on the device has finished (a no-op where passes run synchronously). */
    void awaitDevice();

    @Override
    void close();
}
