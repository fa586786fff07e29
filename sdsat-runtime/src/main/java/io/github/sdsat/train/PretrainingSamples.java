package io.github.sdsat.train;

import io.github.sdsat.tokenizer.FimFormat;
import java.util.SplittableRandom;

/**
 * Draws training windows from a {@link TokenizedCorpus}: plain next-token windows of {@code length + 1} tokens
 * (inputs and shifted targets) from anywhere in the stream, and, for a share of rows, a fill-in-the-middle sample.
 *
 * <p>FIM is applied per "document", where a document is a fragment of one source file of at most {@code length + 1
 * - 5} tokens (files run to thousands of tokens and a window holds 256, so whole-file FIM would almost never show
 * the model a complete prefix-suffix-middle triple). The fragment is cut at two uniform random token offsets into
 * prefix, middle and suffix and laid out as PSM or SPM by {@link FimFormat}; a sample shorter than the window is
 * padded and the padding is excluded from the loss.
 *
 * <p>Every draw depends only on (seed, step, row), so a resumed run sees the same data as an uninterrupted one.
 */
public final class PretrainingSamples {
    /**
     * One window: {@code length + 1} ids (inputs are [0, length), targets [1, length]), how many are real, and
     * whether its standard inputs are trained (false for {@link SelfGeneratedText} rows: context only).
     */
    public record Window(long[] ids, int realTokens, boolean trainStandard) {
        public Window(long[] ids, int realTokens) {
            this(ids, realTokens, true);
        }
    }

    private final TokenizedCorpus corpus;
    private final FimFormat fim;
    private final int length;
    private final double fimRate;
    private final double spmShare;
    private final long padId;
    private final long seed;

    /**
     * @param length inputs per row (T)
     * @param fimRate share of rows that are FIM samples
     * @param spmShare share of FIM samples in SPM order (the rest PSM)
     */
    public PretrainingSamples(
            TokenizedCorpus corpus, FimFormat fim, int length, double fimRate, double spmShare, long padId, long seed) {
        if (corpus.size() < length + 2) {
            throw new IllegalArgumentException("The corpus has " + corpus.size() + " tokens, fewer than one window"
                    + " of " + (length + 1) + ": use a larger corpus or a shorter sequence length");
        }
        if (!(fimRate >= 0 && fimRate <= 1) || !(spmShare >= 0 && spmShare <= 1)) {
            throw new IllegalArgumentException(
                    "fimRate and spmShare must lie in [0, 1], got " + fimRate + ", " + spmShare);
        }
        if (length + 1 <= FimFormat.SPECIAL_TOKENS_PER_SAMPLE + 3) {
            throw new IllegalArgumentException("Sequence length " + length + " is too short for FIM samples");
        }
        this.corpus = corpus;
        this.fim = fim;
        this.length = length;
        this.fimRate = fimRate;
        this.spmShare = spmShare;
        this.padId = padId;
        this.seed = seed;
    }

    public int length() {
        return length;
    }

    /** A random generator for one (step, row), independent of every other draw. */
    static SplittableRandom randomFor(long seed, long step, int row) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L
                + step * 0xBF58476D1CE4E5B9L
                + row * 0x94D049BB133111EBL
                + 0x2545F4914F6CDD1DL);
    }

    /** The window for one row of one step. */
    public Window window(long step, int row) {
        SplittableRandom random = randomFor(seed, step, row);
        if (random.nextDouble() < fimRate) {
            return fimWindow(random);
        }
        int start = random.nextInt(corpus.size() - length);
        long[] ids = new long[length + 1];
        for (int i = 0; i <= length; i++) {
            ids[i] = corpus.token(start + i);
        }
        return new Window(ids, length + 1);
    }

    private Window fimWindow(SplittableRandom random) {
        int content = length + 1 - FimFormat.SPECIAL_TOKENS_PER_SAMPLE;
        int document = corpus.documentAt(random.nextInt(corpus.size()));
        // inside the document, without its BOS and EOS
        int docFirst = corpus.documentStart(document) + 1;
        int docEnd = corpus.documentEnd(document) - 1;
        int available = docEnd - docFirst;
        int fragment = Math.min(content, available);
        int start = docFirst + (available > fragment ? random.nextInt(available - fragment + 1) : 0);
        int a = random.nextInt(fragment + 1);
        int b = random.nextInt(fragment + 1);
        int cut1 = Math.min(a, b);
        int cut2 = Math.max(a, b);
        long[] prefix = slice(start, cut1);
        long[] middle = slice(start + cut1, cut2 - cut1);
        long[] suffix = slice(start + cut2, fragment - cut2);
        long[] sample = random.nextDouble() < spmShare
                ? fim.spmSample(prefix, middle, suffix)
                : fim.psmSample(prefix, middle, suffix);
        long[] ids = new long[length + 1];
        java.util.Arrays.fill(ids, padId);
        System.arraycopy(sample, 0, ids, 0, sample.length);
        return new Window(ids, sample.length);
    }

    private long[] slice(int from, int count) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = corpus.token(from + i);
        }
        return out;
    }

    /** A batch of plain (no SAT) rows for pretraining or standard-token evaluation. */
    public TrainingBatch batch(long step, int rows) {
        int n = rows * length;
        long[] tokens = new long[n];
        long[] positions = new long[n];
        long[] targets = new long[n];
        float[] weights = new float[n];
        byte[] kinds = new byte[n];
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            Window w = window(step, r);
            for (int i = 0; i < length; i++) {
                int at = r * length + i;
                tokens[at] = w.ids()[i];
                positions[at] = i;
                targets[at] = w.ids()[i + 1];
                if (i + 1 < w.realTokens()) {
                    kinds[at] = TrainingBatch.STANDARD;
                    counted++;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            weights[i] = kinds[i] == TrainingBatch.STANDARD ? 1f / counted : 0f;
        }
        return new TrainingBatch(rows, length, tokens, positions, null, targets, weights, kinds);
    }
}
