package io.github.sdsat.model;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * An independent reference implementation of the Hugging Face Llama forward pass, used only by tests as the
 * yardstick for the DJL runtime. It is deliberately written as plain scalar loops in double precision and shares
 * no code with the runtime (no DJL, no {@code LlamaConfig}), so that a mistake in the runtime cannot be
 * reproduced here by construction.
 *
 * <p>The math follows docs/DESIGN.md §3 literally:
 * <ul>
 *   <li>RMSNorm: {@code x * 1/sqrt(mean(x^2) + eps) * w};</li>
 *   <li>linear weights are {@code [out, in]} row-major, {@code y = x . W^T};</li>
 *   <li>rotate-half RoPE: {@code inv_freq_j = theta^(-2j/headDim)} for {@code j < headDim/2}, angle =
 *       position * inv_freq, cos/sin duplicated over both halves, {@code q' = q*cos + rotate_half(q)*sin} with
 *       {@code rotate_half(x) = concat(-x[d/2:], x[:d/2])};</li>
 *   <li>scores scaled by {@code 1/sqrt(headDim)}, softmax over the visible keys;</li>
 *   <li>grouped-query attention: key/value head {@code h} serves query heads
 *       {@code h*(heads/kvHeads) .. (h+1)*(heads/kvHeads)-1};</li>
 *   <li>MLP {@code down(silu(gate(x)) * up(x))}; residual connections around attention and MLP;</li>
 *   <li>final norm, then {@code lm_head} (or the embedding matrix when embeddings are tied).</li>
 * </ul>
 * Weights are given under their Hugging Face names; float weights are widened to double once.
 */
public final class ReferenceLlama {

    private final int hidden;
    private final int intermediate;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int vocab;
    private final double rmsEps;
    private final double ropeTheta;

    private final double[] embed; // [vocab, hidden]
    private final double[] lmHead; // [vocab, hidden]
    private final double[] finalNorm; // [hidden]
    private final double[][] q; // per layer [heads*headDim, hidden]
    private final double[][] k; // per layer [kvHeads*headDim, hidden]
    private final double[][] v; // per layer [kvHeads*headDim, hidden]
    private final double[][] o; // per layer [hidden, heads*headDim]
    private final double[][] gate; // per layer [intermediate, hidden]
    private final double[][] up; // per layer [intermediate, hidden]
    private final double[][] down; // per layer [hidden, intermediate]
    private final double[][] inputNorm; // per layer [hidden]
    private final double[][] postAttnNorm; // per layer [hidden]

    public ReferenceLlama(
            int hidden,
            int intermediate,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            int vocab,
            double rmsEps,
            double ropeTheta,
            boolean tied,
            Map<String, float[]> weights) {
        requirePositive("hidden", hidden);
        requirePositive("intermediate", intermediate);
        requirePositive("layers", layers);
        requirePositive("heads", heads);
        requirePositive("kvHeads", kvHeads);
        requirePositive("headDim", headDim);
        requirePositive("vocab", vocab);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads
                    + ") for grouped-query attention");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim (" + headDim + ") must be even for rotate-half RoPE");
        }
        if (rmsEps < 0 || ropeTheta <= 0) {
            throw new IllegalArgumentException(
                    "rmsEps must be >= 0 and ropeTheta > 0, got rmsEps=" + rmsEps + ", ropeTheta=" + ropeTheta);
        }
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.vocab = vocab;
        this.rmsEps = rmsEps;
        this.ropeTheta = ropeTheta;

        embed = take(weights, "model.embed_tokens.weight", (long) vocab * hidden);
        lmHead = tied ? embed : take(weights, "lm_head.weight", (long) vocab * hidden);
        finalNorm = take(weights, "model.norm.weight", hidden);
        q = new double[layers][];
        k = new double[layers][];
        v = new double[layers][];
        o = new double[layers][];
        gate = new double[layers][];
        up = new double[layers][];
        down = new double[layers][];
        inputNorm = new double[layers][];
        postAttnNorm = new double[layers][];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            q[l] = take(weights, p + "self_attn.q_proj.weight", (long) heads * headDim * hidden);
            k[l] = take(weights, p + "self_attn.k_proj.weight", (long) kvHeads * headDim * hidden);
            v[l] = take(weights, p + "self_attn.v_proj.weight", (long) kvHeads * headDim * hidden);
            o[l] = take(weights, p + "self_attn.o_proj.weight", (long) hidden * heads * headDim);
            gate[l] = take(weights, p + "mlp.gate_proj.weight", (long) intermediate * hidden);
            up[l] = take(weights, p + "mlp.up_proj.weight", (long) intermediate * hidden);
            down[l] = take(weights, p + "mlp.down_proj.weight", (long) hidden * intermediate);
            inputNorm[l] = take(weights, p + "input_layernorm.weight", hidden);
            postAttnNorm[l] = take(weights, p + "post_attention_layernorm.weight", hidden);
        }
    }

    /** Logits {@code [n, vocab]} for tokens at positions 0..n-1 with causal attention. */
    public double[][] logits(int[] tokens) {
        int n = tokens.length;
        long[] positions = new long[n];
        boolean[][] visible = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
            for (int j = 0; j <= i; j++) {
                visible[i][j] = true;
            }
        }
        return logits(tokens, positions, visible);
    }

    /**
     * Logits {@code [n, vocab]} with explicit positions and visibility: {@code visible[i][j]} says whether token
     * {@code i} attends to token {@code j}. This is what tree verification needs (non-consecutive positions and
     * a tree mask); every row must see at least one token.
     */
    public double[][] logits(int[] tokens, long[] positions, boolean[][] visible) {
        int n = tokens.length;
        if (positions.length != n || visible.length != n) {
            throw new IllegalArgumentException("tokens (" + n + "), positions (" + positions.length
                    + ") and visible rows (" + visible.length + ") must have the same length");
        }
        for (int i = 0; i < n; i++) {
            if (visible[i].length != n) {
                throw new IllegalArgumentException(
                        "visible row " + i + " has " + visible[i].length + " columns, expected " + n);
            }
            boolean any = false;
            for (boolean b : visible[i]) {
                any |= b;
            }
            if (!any) {
                throw new IllegalArgumentException("visible row " + i + " sees no token; softmax would be undefined");
            }
        }
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            int t = tokens[i];
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException(
                        "token " + t + " at index " + i + " is outside the vocabulary [0, " + vocab + ")");
            }
            x[i] = new double[hidden];
            System.arraycopy(embed, t * hidden, x[i], 0, hidden);
        }
        for (int l = 0; l < layers; l++) {
            double[][] qs = new double[n][];
            double[][] ks = new double[n][];
            double[][] vs = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] h = rmsNorm(x[i], inputNorm[l]);
                qs[i] = matVec(q[l], h, heads * headDim, hidden);
                ks[i] = matVec(k[l], h, kvHeads * headDim, hidden);
                vs[i] = matVec(v[l], h, kvHeads * headDim, hidden);
                for (int hd = 0; hd < heads; hd++) {
                    rope(qs[i], hd * headDim, positions[i]);
                }
                for (int hd = 0; hd < kvHeads; hd++) {
                    rope(ks[i], hd * headDim, positions[i]);
                }
            }
            int group = heads / kvHeads;
            double scale = 1.0 / Math.sqrt(headDim);
            for (int i = 0; i < n; i++) {
                double[] attn = new double[heads * headDim];
                for (int hd = 0; hd < heads; hd++) {
                    int kvh = hd / group;
                    double[] scores = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        if (!visible[i][j]) {
                            continue;
                        }
                        double s = 0;
                        for (int c = 0; c < headDim; c++) {
                            s += qs[i][hd * headDim + c] * ks[j][kvh * headDim + c];
                        }
                        scores[j] = s * scale;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        if (visible[i][j]) {
                            scores[j] = Math.exp(scores[j] - max);
                            sum += scores[j];
                        }
                    }
                    for (int j = 0; j < n; j++) {
                        if (!visible[i][j]) {
                            continue;
                        }
                        double p = scores[j] / sum;
                        for (int c = 0; c < headDim; c++) {
                            attn[hd * headDim + c] += p * vs[j][kvh * headDim + c];
                        }
                    }
                }
                double[] projected = matVec(o[l], attn, hidden, heads * headDim);
                for (int c = 0; c < hidden; c++) {
                    x[i][c] += projected[c];
                }
            }
            for (int i = 0; i < n; i++) {
                double[] h = rmsNorm(x[i], postAttnNorm[l]);
                double[] g = matVec(gate[l], h, intermediate, hidden);
                double[] u = matVec(up[l], h, intermediate, hidden);
                double[] act = new double[intermediate];
                for (int c = 0; c < intermediate; c++) {
                    act[c] = silu(g[c]) * u[c];
                }
                double[] m = matVec(down[l], act, hidden, intermediate);
                for (int c = 0; c < hidden; c++) {
                    x[i][c] += m[c];
                }
            }
        }
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = matVec(lmHead, rmsNorm(x[i], finalNorm), vocab, hidden);
        }
        return out;
    }

    /**
     * Random but non-degenerate Hugging Face-named weights for a model of the given shape: embeddings N(0, 0.1),
     * attention and MLP projections N(0, 0.06), lm_head N(0, 0.1) (absent when tied), norm weights 1 + N(0, 0.1).
     * Deterministic for a given seed.
     */
    public static Map<String, float[]> randomWeights(
            int hidden,
            int intermediate,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            int vocab,
            boolean tied,
            long seed) {
        Random rng = new Random(seed);
        Map<String, float[]> w = new HashMap<>();
        w.put("model.embed_tokens.weight", gaussian(rng, vocab * hidden, 0.0, 0.1));
        if (!tied) {
            w.put("lm_head.weight", gaussian(rng, vocab * hidden, 0.0, 0.1));
        }
        w.put("model.norm.weight", gaussian(rng, hidden, 1.0, 0.1));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "self_attn.q_proj.weight", gaussian(rng, heads * headDim * hidden, 0.0, 0.06));
            w.put(p + "self_attn.k_proj.weight", gaussian(rng, kvHeads * headDim * hidden, 0.0, 0.06));
            w.put(p + "self_attn.v_proj.weight", gaussian(rng, kvHeads * headDim * hidden, 0.0, 0.06));
            w.put(p + "self_attn.o_proj.weight", gaussian(rng, hidden * heads * headDim, 0.0, 0.06));
            w.put(p + "mlp.gate_proj.weight", gaussian(rng, intermediate * hidden, 0.0, 0.06));
            w.put(p + "mlp.up_proj.weight", gaussian(rng, intermediate * hidden, 0.0, 0.06));
            w.put(p + "mlp.down_proj.weight", gaussian(rng, hidden * intermediate, 0.0, 0.06));
            w.put(p + "input_layernorm.weight", gaussian(rng, hidden, 1.0, 0.1));
            w.put(p + "post_attention_layernorm.weight", gaussian(rng, hidden, 1.0, 0.1));
        }
        return w;
    }

    private static float[] gaussian(Random rng, int count, double mean, double std) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) (mean + std * rng.nextGaussian());
        }
        return a;
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double sq = 0;
        for (double d : x) {
            sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / x.length + rmsEps);
        double[] y = new double[x.length];
        for (int c = 0; c < x.length; c++) {
            y[c] = x[c] * inv * w[c];
        }
        return y;
    }

    /** Rotate-half RoPE applied in place to one head's slice {@code a[off .. off+headDim)}. */
    private void rope(double[] a, int off, long position) {
        int half = headDim / 2;
        double[] rotated = new double[headDim];
        for (int c = 0; c < headDim; c++) {
            // rotate_half(x) = concat(-x[d/2:], x[:d/2])
            double rh = c < half ? -a[off + c + half] : a[off + c - half];
            // cos/sin tables are duplicated over both halves: column c uses frequency index c mod d/2
            int j = c % half;
            double invFreq = Math.pow(ropeTheta, -2.0 * j / headDim);
            double angle = position * invFreq;
            rotated[c] = a[off + c] * Math.cos(angle) + rh * Math.sin(angle);
        }
        System.arraycopy(rotated, 0, a, off, headDim);
    }

    private static double silu(double x) {
        return x / (1.0 + Math.exp(-x));
    }

    /** y = W x for W stored [rows, cols] row-major. */
    private static double[] matVec(double[] w, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                s += w[base + c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    private static double[] take(Map<String, float[]> weights, String name, long expected) {
        float[] f = weights.get(name);
        if (f == null) {
            throw new IllegalArgumentException("weight '" + name + "' is missing (present: "
                    + weights.keySet().size() + " tensors); pass it or set tied=true if it is lm_head.weight");
        }
        if (f.length != expected) {
            throw new IllegalArgumentException("weight '" + name + "' has " + f.length + " elements, expected "
                    + expected + " for the given shape");
        }
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
