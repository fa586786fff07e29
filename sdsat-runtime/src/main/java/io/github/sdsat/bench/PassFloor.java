package io.github.sdsat.bench;

import io.github.sdsat.model.LlamaConfig;

/**
 * The roofline's floor for one pass of n new tokens after {@code cached}: a pass reads every weight once
 * (memory-bound, T(n)/T(1) near 1) until its FLOPs catch up with the bytes (compute-bound, T(n) growing with n).
 * Set beside the measured T(n), it shows whether a runtime's curve comes from the hardware or from its own overhead.
 */
public final class PassFloor {
    private PassFloor() {}

    /**
     * The floor and its terms.
     *
     * @param flops           2·n·matmulParameters + Σ layers 2·2·n·(cached+n)·heads·headDim (QKᵀ and PV)
     * @param bytes           weight bytes + K/V bytes read
     * @param memorySeconds   bytes / bandwidth(bytes, threads)
     * @param computeSeconds  flops / FMA peak(threads)
     */
    public record Prediction(double flops, long bytes, double memorySeconds, double computeSeconds) {
        public double seconds() {
            return Math.max(memorySeconds, computeSeconds);
        }

        public String bound() {
            return memorySeconds >= computeSeconds ? "memory" : "compute";
        }
    }

    /**
     * Weights a pass multiplies with: per layer the q, k, v, o, gate, up and down projections, plus the LM head
     * (vocab × hidden, counted even when tied to the embeddings, since the head reads the whole matrix). The
     * embedding lookup reads only n rows and the norm weights are folded into the projections, so neither counts.
     */
    public static long matmulParameters(LlamaConfig c) {
        long hidden = c.hiddenSize();
        long perLayer = hidden * (c.attentionSize() + 2L * c.kvSize()) // fused q|k|v
                + (long) c.attentionSize() * hidden // o
                + 3L * hidden * c.intermediateSize(); // gate, up, down
        return c.numLayers() * perLayer + (long) c.vocabSize() * hidden;
    }

    /**
     * The floor for a pass of {@code n} new tokens after {@code cached}: the weights are read once
     * ({@code weightBytes}, as the model stores them: {@link io.github.sdsat.model.LlamaModel#weightBytesPerPass()},
     * 4 bytes a weight in F32, 2 in BF16) and the attention reads the K and V of all cached + n tokens in every layer
     * (memory term, at the bandwidth measured for that working set), against 2 FLOPs per weight per token plus the
     * attention's QKᵀ and PV products (compute term, at the FMA peak).
     *
     * @param kvBytesPerElement bytes of one K or V element in the cache (the compute dtype's)
     * @throws IllegalArgumentException for n below 1, negative cached, or non-positive byte counts
     */
    public static Prediction predict(
            LlamaConfig c, long weightBytes, int kvBytesPerElement, int cached, int n, Roofline roofline, int threads) {
        if (n < 1 || cached < 0 || weightBytes < 1 || kvBytesPerElement < 1) {
            throw new IllegalArgumentException("a pass needs n >= 1 new tokens, cached >= 0, weightBytes >= 1 and "
                    + "kvBytesPerElement >= 1; got n " + n + ", cached " + cached + ", weightBytes " + weightBytes
                    + ", kvBytesPerElement " + kvBytesPerElement);
        }
        long total = (long) cached + n;
        long kvBytes = 2L * c.numLayers() * total * c.kvSize() * kvBytesPerElement; // K and V of every layer
        long bytes = weightBytes + kvBytes;
        double flops = 2.0 * n * matmulParameters(c)
                + c.numLayers() * 2.0 * 2.0 * n * total * c.attentionSize(); // QKᵀ and PV, per layer
        return new Prediction(
                flops,
                bytes,
                bytes / roofline.bandwidthFor(bytes, threads),
                flops / roofline.fmaFlopsPerSecond(threads));
    }
}
