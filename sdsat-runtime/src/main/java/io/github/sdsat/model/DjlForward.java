package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The forward pass of a Llama model as a graph of PyTorch ops through DJL (docs/DESIGN.md §3): the pass of
 * {@link LlamaModel} on a GPU, in float16, or with {@code -Dsdsat.cpuKernels=djl}, and the pass training
 * differentiates ({@code TrainingStep}, with weights folded from trainable parameters). It holds the constants every
 * pass shares (RoPE tables, rotate-half matrix, the causal mask) and no weights: each call is given them.
 *
 * <p>Ops go through {@link JniUtils} on {@link PtNDArray}s directly: the public NDArray API adds Java work per call
 * that is a measurable share of a 4 ms pass on a small model (see docs/PERFORMANCE.md).
 */
public final class DjlForward implements AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final Device device;
    private final DataType dtype;
    /**
     * RoPE cos/sin rows [ropeRows, headDim] for the DJL pass, grown on demand to the positions a pass can meet (the
     * cache capacity), never to max_position_embeddings: a config may claim millions of positions that no run uses.
     */
    private NDArray cosTable;

    private NDArray sinTable;
    /** rotate_half as a matrix: rotate_half(x) = x · R (one ±1 per column, so exact in any float type). */
    private final NDArray rotateHalf;

    private final NDArray eps;
    private NDArray causal;
    private int ropeRows;

    /** Constants on {@code manager} (closed with it, or by {@link #close()}) for passes on {@code device}. */
    DjlForward(LlamaConfig config, NDManager manager, Device device, DataType dtype) {
        this.config = config;
        this.manager = manager;
        this.device = device;
        this.dtype = dtype;
        int hd = config.headDim();
        int half = hd / 2;
        float[] r = new float[hd * hd];
        for (int j = 0; j < half; j++) {
            r[(j + half) * hd + j] = -1f; // out[j] = -x[j + half]
            r[j * hd + (j + half)] = 1f; // out[j + half] = x[j]
        }
        this.rotateHalf = onDevice(manager.create(r, new Shape(hd, hd)));
        this.eps = manager.create((float) config.rmsNormEps()).toDevice(device, false);
    }

    /** The float32 pass training differentiates, its constants on a sub-manager of {@code parent}. */
    public static DjlForward forTraining(LlamaConfig config, NDManager parent) {
        return new DjlForward(config, parent.newSubManager(), parent.getDevice(), DataType.FLOAT32);
    }

    public LlamaConfig config() {
        return config;
    }

    /**
     * Makes the DJL pass's RoPE tables cover positions {@code [0, rows)}: grown geometrically (at least 256 rows) up to
     * max_position_embeddings, so a run builds tables for the context it uses, not for the largest one a config
     * claims.
     */
    synchronized void ensureRope(long rows) {
        if (rows <= ropeRows) {
            return;
        }
        int hd = config.headDim();
        int half = hd / 2;
        int grown = (int) Math.min(config.maxPositions(), Math.max(rows, Math.max(256L, 2L * ropeRows)));
        float[] cos = new float[Math.multiplyExact(grown, hd)];
        float[] sin = new float[cos.length];
        for (int p = 0; p < grown; p++) {
            for (int j = 0; j < half; j++) {
                double invFreq = Math.pow(config.ropeTheta(), -2.0 * j / hd);
                double angle = p * invFreq;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * hd + j] = c;
                cos[p * hd + j + half] = c;
                sin[p * hd + j] = s;
                sin[p * hd + j + half] = s;
            }
        }
        NDArray oldCos = cosTable;
        NDArray oldSin = sinTable;
        cosTable = onDevice(manager.create(cos, new Shape(grown, hd)));
        sinTable = onDevice(manager.create(sin, new Shape(grown, hd)));
        ropeRows = grown;
        // A graph recorded by an earlier pass keeps its own reference to the old tensors inside PyTorch.
        if (oldCos != null) {
            oldCos.close();
            oldSin.close();
        }
    }

    private NDArray onDevice(NDArray a) {
        NDArray r = a.toDevice(device, false).toType(dtype, false);
        r.attach(manager);
        return r;
    }

    /**
     * The forward pass.
     *
     * @param w weights ({@link FoldedWeights})
     * @param tokens int64 [n] (with a cache) or [batch, n] (without)
     * @param positions int64, same shape as tokens: RoPE positions (need not be consecutive)
     * @param mask additive float mask (0 = attend, -inf = not) of shape [n, cached + n] or [batch, n, n]; null means
     *     causal over cache slots
     * @param cache KV cache (its length is the number of cached tokens; the new K/V are appended) or null
     * @param logitsFrom first new row for which logits are computed
     * @return float32 logits [n - logitsFrom, vocab] (or [batch, n - logitsFrom, vocab]), attached to the manager of
     *     {@code tokens}
     */
    public NDArray forward(
            FoldedWeights w, NDArray tokens, NDArray positions, NDArray mask, KvCache cache, long logitsFrom) {
        TensorKvCache tensors = cache == null ? null : TensorKvCache.of(cache); // refuses another pass's cache
        Shape ts = tokens.getShape();
        boolean batched = ts.dimension() == 2;
        if (!batched && ts.dimension() != 1) {
            throw new IllegalArgumentException("tokens must be [n] or [batch, n], got " + ts);
        }
        if (!positions.getShape().equals(ts)) {
            throw new IllegalArgumentException("positions " + positions.getShape() + " must match tokens " + ts);
        }
        long b = batched ? ts.get(0) : 1;
        long n = ts.get(ts.dimension() - 1);
        if (cache != null && batched) {
            throw new IllegalArgumentException("A KV cache serves one sequence: pass tokens as [n]");
        }
        if (cache != null && cache.remaining() < n) {
            throw new IllegalArgumentException("KV cache full: " + cache.length() + " cached + " + n
                    + " new tokens exceed its capacity " + cache.capacity());
        }
        long cached = cache == null ? 0 : cache.length();
        long total = cached + n;
        int hd = config.headDim();
        long heads = config.numHeads();
        long kvHeads = config.numKvHeads();
        long group = heads / kvHeads;
        long hidden = config.hiddenSize();
        long inter = config.intermediateSize();
        PtNDManager step = (PtNDManager) tokens.getManager();

        PtNDArray ids = reshape(tokens, b, n);
        PtNDArray pos = reshape(positions, b, n);
        // With a cache every position lies below its capacity; without one (training) ask the positions themselves.
        if (cache != null) {
            ensureRope(cache.capacity());
        } else {
            try (NDArray largest = positions.max()) {
                ensureRope(Math.max(n, largest.toArray()[0].longValue() + 1));
            }
        }
        PtNDArray x = JniUtils.embedding(ids, (PtNDArray) w.embed, false); // [b, n, D]
        // cos/sin per token, broadcast over heads: [b, n, 1, hd]
        PtNDArray cos = reshape(JniUtils.embedding(pos, (PtNDArray) cosTable, false), b, n, 1, hd);
        PtNDArray sin = reshape(JniUtils.embedding(pos, (PtNDArray) sinTable, false), b, n, 1, hd);
        PtNDArray attnMask = (PtNDArray) (mask != null ? mask : causalMask(cached, n, step));
        if (dtype != DataType.FLOAT32 && attnMask.getDataType() != dtype) {
            attnMask = JniUtils.to(attnMask, dtype, device);
        }
        Shape ms = attnMask.getShape();
        long maskRows = ms.get(ms.dimension() - 2);
        long maskCols = ms.get(ms.dimension() - 1);
        if (maskRows != n || maskCols != total) {
            throw new IllegalArgumentException("Attention mask is " + ms + " but the pass needs [" + n + ", " + total
                    + "] (new tokens × cached + new)");
        }
        // scores are [b, kv, group, n, total]; the mask broadcasts over kv and group
        PtNDArray mask5 = reshape(attnMask, ms.dimension() == 3 ? b : 1, 1, 1, n, total);

        for (int layer = 0; layer < config.numLayers(); layer++) {
            // --- attention ---
            PtNDArray h = rmsNormalize(x);
            PtNDArray qkv = reshape(JniUtils.linear(h, (PtNDArray) w.qkv[layer], null), b, n, heads + 2 * kvHeads, hd);
            PtNDArray qk = JniUtils.slice(qkv, 2, 0, heads + kvHeads, 1);
            PtNDArray rotated =
                    JniUtils.add(JniUtils.mul(qk, cos), JniUtils.mul(JniUtils.matmul(qk, (PtNDArray) rotateHalf), sin));
            PtNDArray q = JniUtils.slice(rotated, 2, 0, heads, 1); // [b, n, H, hd]
            PtNDArray k = JniUtils.slice(rotated, 2, heads, heads + kvHeads, 1); // [b, n, KV, hd]
            PtNDArray v = JniUtils.slice(qkv, 2, heads + kvHeads, heads + 2 * kvHeads, 1);
            PtNDArray keys;
            PtNDArray values;
            if (cache != null) {
                tensors.append(layer, reshape(k, n, kvHeads, hd), reshape(v, n, kvHeads, hd), n);
                keys = reshape(tensors.keys(layer, total, step), 1, total, kvHeads, hd);
                values = reshape(tensors.values(layer, total, step), 1, total, kvHeads, hd);
            } else {
                keys = k;
                values = v;
            }
            // q: [b, n, H, hd] -> [b, KV, G*n, hd] (head h = kv*G + g)
            PtNDArray qh = reshape(JniUtils.permute(q, new long[] {0, 2, 1, 3}), b, kvHeads, group * n, hd);
            PtNDArray kt = JniUtils.permute(keys, new long[] {0, 2, 3, 1}); // [b, KV, hd, total]
            PtNDArray scores = reshape(JniUtils.matmul(qh, kt), b, kvHeads, group, n, total);
            scores = JniUtils.add(scores, mask5);
            PtNDArray probs = JniUtils.softmax(scores, -1, DataType.FLOAT32);
            if (dtype != DataType.FLOAT32) {
                probs = JniUtils.to(probs, dtype, device);
            }
            PtNDArray vh = JniUtils.permute(values, new long[] {0, 2, 1, 3}); // [b, KV, total, hd]
            PtNDArray attn = JniUtils.matmul(reshape(probs, b, kvHeads, group * n, total), vh); // [b, KV, G*n, hd]
            PtNDArray merged = reshape(
                    JniUtils.permute(reshape(attn, b, heads, n, hd), new long[] {0, 2, 1, 3}), b, n, heads * hd);
            x = JniUtils.add(x, JniUtils.linear(merged, (PtNDArray) w.o[layer], null));
            // --- MLP: down(silu(gate) * up) ---
            PtNDArray h2 = rmsNormalize(x);
            PtNDArray gu = JniUtils.linear(h2, (PtNDArray) w.gateUp[layer], null);
            PtNDArray gate = JniUtils.slice(gu, 2, 0, inter, 1);
            PtNDArray up = JniUtils.slice(gu, 2, inter, 2 * inter, 1);
            PtNDArray act = JniUtils.mul(JniUtils.mul(gate, JniUtils.sigmoid(gate)), up);
            x = JniUtils.add(x, JniUtils.linear(act, (PtNDArray) w.down[layer], null));
        }
        if (cache != null) {
            tensors.advance(n);
        }
        PtNDArray last = logitsFrom == 0 ? x : JniUtils.slice(x, 1, logitsFrom, n, 1);
        PtNDArray logits = JniUtils.linear(rmsNormalize(last), (PtNDArray) w.lmHead, null);
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = JniUtils.to(logits, DataType.FLOAT32, device);
        }
        return batched ? logits : reshape(logits, n - logitsFrom, config.vocabSize());
    }

    private static PtNDArray reshape(NDArray a, long... shape) {
        return JniUtils.reshape((PtNDArray) a, shape);
    }

    /** x · rsqrt(mean(x²) + eps) in float32 (HF's LlamaRMSNorm); its weight is folded into the next linear. */
    private PtNDArray rmsNormalize(PtNDArray x) {
        PtNDArray xf = x.getDataType() == DataType.FLOAT32 ? x : JniUtils.to(x, DataType.FLOAT32, device);
        PtNDArray meanSquare = JniUtils.mean(JniUtils.square(xf), -1, true);
        PtNDArray rms = JniUtils.sqrt(JniUtils.add(meanSquare, (PtNDArray) eps));
        PtNDArray y = JniUtils.div(xf, rms);
        return y.getDataType() == dtype ? y : JniUtils.to(y, dtype, device);
    }

    /** Additive causal mask rows [cached, cached+n) × columns [0, cached+n), a view of a prebuilt matrix. */
    private NDArray causalMask(long cached, long n, PtNDManager step) {
        long total = cached + n;
        if (causal == null || causal.getShape().get(0) < total) {
            long size = Math.max(256, Long.highestOneBit(Math.max(1, total - 1)) << 1);
            float[] m = new float[Math.toIntExact(size * size)];
            for (int r = 0; r < size; r++) {
                for (int c = r + 1; c < size; c++) {
                    m[(int) (r * size + c)] = Float.NEGATIVE_INFINITY;
                }
            }
            if (causal != null) {
                causal.close();
            }
            causal = manager.create(m, new Shape(size, size)).toDevice(device, false);
            causal.attach(manager);
        }
        return JniUtils.index(
                (PtNDArray) causal, new long[] {cached, 0}, new long[] {total, total}, new long[] {1, 1}, step);
    }

    /** Closes the constants' manager. */
    @Override
    public void close() {
        manager.close();
    }
}
