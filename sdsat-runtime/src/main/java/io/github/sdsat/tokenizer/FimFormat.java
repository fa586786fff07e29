package io.github.sdsat.tokenizer;

/**
 * The fill-in-the-middle layouts the embedded model is trained on, shared by the training sample builder and the
 * infilling benchmark so that prompts match training exactly (CodeLlama's sentinels, token-level):
 *
 * <ul>
 *   <li>PSM: {@code <s> <PRE> prefix <SUF> suffix <MID> middle <EOT>}</li>
 *   <li>SPM: {@code <s> <PRE> <SUF> suffix <MID> prefix middle <EOT>} (CodeLlama's SPM, as santacoder-fim-task
 *       prompts it: the prefix follows {@code <MID>} directly, so the middle is its plain continuation)</li>
 * </ul>
 *
 * <p>A prompt is the layout up to and including the prefix (SPM) or {@code <MID>} (PSM); the model then writes the
 * middle and ends it with {@code <EOT>}. Prefix, middle and suffix are token ids encoded without BOS.
 */
public final class FimFormat {
    /** Tokens a layout adds around prefix, middle and suffix: BOS, three sentinels and EOT. */
    public static final int SPECIAL_TOKENS_PER_SAMPLE = 5;

    private final long bos;
    private final long prefixSentinel;
    private final long suffixSentinel;
    private final long middleSentinel;
    private final long endOfInfill;

    public FimFormat(long bos, long prefixSentinel, long suffixSentinel, long middleSentinel, long endOfInfill) {
        this.bos = bos;
        this.prefixSentinel = prefixSentinel;
        this.suffixSentinel = suffixSentinel;
        this.middleSentinel = middleSentinel;
        this.endOfInfill = endOfInfill;
    }

    /** The format for a tokenizer's specials; fails if it lacks a sentinel or {@code <EOT>}. */
    public static FimFormat of(SpecialTokens specials) {
        if (!specials.supportsInfilling() || specials.fimEndOfInfill().isEmpty()) {
            throw new IllegalArgumentException("The tokenizer has no complete set of infilling tokens (<PRE>, "
                    + "<SUF>, <MID>, <EOT>): infilling needs a model trained with them, such as the embedded one");
        }
        return new FimFormat(
                specials.bos(),
                specials.fimPrefix().getAsInt(),
                specials.fimSuffix().getAsInt(),
                specials.fimMiddle().getAsInt(),
                specials.fimEndOfInfill().getAsInt());
    }

    /** Id that ends an infilled middle. */
    public long endOfInfill() {
        return endOfInfill;
    }

    /** {@code <s> <PRE> <SUF> suffix <MID> prefix}: the model continues with the middle, then {@code <EOT>}. */
    public long[] spmPrompt(long[] prefix, long[] suffix) {
        return concat(new long[] {bos, prefixSentinel, suffixSentinel}, suffix, new long[] {middleSentinel}, prefix);
    }

    /** {@code <s> <PRE> prefix <SUF> suffix <MID>}: the model continues with the middle, then {@code <EOT>}. */
    public long[] psmPrompt(long[] prefix, long[] suffix) {
        return concat(new long[] {bos, prefixSentinel}, prefix, new long[] {suffixSentinel}, suffix, new long[] {
            middleSentinel
        });
    }

    /** A complete SPM training sample: {@link #spmPrompt} + middle + {@code <EOT>}. */
    public long[] spmSample(long[] prefix, long[] middle, long[] suffix) {
        return concat(spmPrompt(prefix, suffix), middle, new long[] {endOfInfill});
    }

    /** A complete PSM training sample: {@link #psmPrompt} + middle + {@code <EOT>}. */
    public long[] psmSample(long[] prefix, long[] middle, long[] suffix) {
        return concat(psmPrompt(prefix, suffix), middle, new long[] {endOfInfill});
    }

    /** The parts one after another (token id sequences). */
    public static long[] concat(long[]... parts) {
        int n = 0;
        for (long[] p : parts) {
            n += p.length;
        }
        long[] out = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
