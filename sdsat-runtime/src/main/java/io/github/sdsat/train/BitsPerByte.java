package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Held-out loss of a model on whole files in bits per UTF-8 byte: comparable between models with different
 * tokenizers (a loss in nats per token is not, since tokens cover different amounts of text).
 *
 * <p>Each file is {@code <s>} + its tokens, scored in windows of {@link #WINDOW} tokens that overlap by half: the
 * first window scores all its tokens after {@code <s>}, each later one only its second half, so every token is
 * scored once with at least {@code WINDOW / 2} tokens of context (or all before it). The sum of the tokens'
 * negative log-likelihoods over the files, in bits, divided by the files' bytes, is the figure.
 *
 * <p>Command line: {@code BitsPerByte MODEL_DIR FILE...} or {@code BitsPerByte MODEL_DIR --held-out-stdlib DIR}
 * (the held-out files of a CPython standard library under the {@link PythonCorpus} rule).
 */
public final class BitsPerByte {
    /** Tokens per scored window: the training sequence length of the embedded models. */
    public static final int WINDOW = 256;

    /** The outcome over a set of files. */
    public record Result(int files, long bytes, long tokens, double bits) {
        public double bitsPerByte() {
            return bits / bytes;
        }

        public double natsPerToken() {
            return bits * Math.log(2) / tokens;
        }
    }

    private BitsPerByte() {}

    public static void main(String[] args) {
        io.github.sdsat.model.DjlOffline.enable(); // before the first engine call: no telemetry traffic
        if (args.length < 2) {
            throw new IllegalArgumentException(
                    "usage: BitsPerByte MODEL_DIR FILE... | MODEL_DIR --held-out-stdlib DIR");
        }
        List<String> texts = new ArrayList<>();
        if (args[1].equals("--held-out-stdlib")) {
            PythonCorpus corpus = PythonCorpus.of(Path.of(args[2]));
            corpus.heldOutFiles().forEach(f -> texts.add(corpus.read(f)));
        } else {
            for (int i = 1; i < args.length; i++) {
                try {
                    texts.add(java.nio.file.Files.readString(Path.of(args[i]), StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new SdsatException("Cannot read " + args[i] + ": " + e.getMessage(), e);
                }
            }
        }
        try (LoadedModel loaded = LoadedModel.open(Path.of(args[0]), DeviceChoice.resolve("cpu", "float32"), null)) {
            Result r = of(loaded.model(), loaded.tokenizer(), texts);
            System.out.printf(
                    "%s: %d files, %d bytes, %d tokens: %.4f bits per byte (%.4f nats per token, %.3f bytes "
                            + "per token)%n",
                    args[0],
                    r.files(),
                    r.bytes(),
                    r.tokens(),
                    r.bitsPerByte(),
                    r.natsPerToken(),
                    (double) r.bytes() / r.tokens());
        }
    }

    /** Bits per byte of {@code model} over {@code texts}. */
    public static Result of(LlamaModel model, SdsatTokenizer tokenizer, List<String> texts) {
        if (model.config().maxPositions() < WINDOW) {
            throw new SdsatException("The model's context (" + model.config().maxPositions() + ") is "
                    + "shorter than the " + WINDOW + "-token scoring window");
        }
        long bytes = 0;
        long tokens = 0;
        double nats = 0;
        int vocab = model.config().vocabSize();
        for (String text : texts) {
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
            long[] encoded = tokenizer.encode(text);
            long[] ids = new long[encoded.length + 1];
            ids[0] = tokenizer.specials().bos();
            System.arraycopy(encoded, 0, ids, 1, encoded.length);
            tokens += encoded.length;
            int half = WINDOW / 2;
            // window w covers [start, start + WINDOW) and scores the tokens from firstScored on
            for (int start = 0, firstScored = 1; firstScored < ids.length; start += half) {
                int end = Math.min(ids.length, start + WINDOW);
                long[] window = java.util.Arrays.copyOfRange(ids, start, end);
                long[] positions = new long[window.length];
                for (int i = 0; i < positions.length; i++) {
                    positions[i] = i;
                }
                float[] logits;
                try (KvCache cache = model.newCache(window.length)) {
                    // rows from firstScored - 1 - start predict tokens firstScored .. end - 1
                    logits = model.logits(cache, window, positions, null, firstScored - 1 - start);
                }
                int rows = end - firstScored;
                for (int r = 0; r < rows; r++) {
                    nats += negativeLogLikelihood(logits, r * vocab, vocab, (int) ids[firstScored + r]);
                }
                firstScored = end;
            }
        }
        return new Result(texts.size(), bytes, tokens, nats / Math.log(2));
    }

    /** -log softmax(row)[target], computed stably. */
    static double negativeLogLikelihood(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return Math.log(sum) + max - logits[offset + target];
    }
}
