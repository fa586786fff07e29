package io.github.sdsat.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java side of the pre-tokenizer written into tokenizer.json: split out special tokens, split the rest with
 * the Llama-3 regex (each match its own piece), then spell each piece's UTF-8 bytes with GPT-2's byte-to-unicode
 * alphabet. The trainer counts these pieces, so its merges are learned on the same units that Hugging Face
 * tokenizers later applies them to.
 */
public final class ByteLevelPreTokenizer {

    /**
     * Llama-3's split pattern, verbatim as Hugging Face stores it. Contractions, letter runs with one leading
     * non-letter, digit groups of up to three, punctuation runs with one leading space, line breaks with their
     * indentation, and whitespace that leaves its last space to the following word.
     */
    public static final String LLAMA3_SPLIT_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // UNICODE_CHARACTER_CLASS makes \s Unicode White_Space and (?i) Unicode case folding, as in Oniguruma,
    // which Hugging Face tokenizers uses for this pattern.
    private static final Pattern SPLIT = Pattern.compile(LLAMA3_SPLIT_REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = byteToUnicode();

    private final Pattern specialTokens;

    /** @param specialTokens literal strings that are never split or merged (Hugging Face "added tokens") */
    public ByteLevelPreTokenizer(List<String> specialTokens) {
        List<String> longestFirst = new ArrayList<>(specialTokens);
        // Leftmost-longest like Hugging Face's added-token matcher: prefer "<s>x" over "<s>" when both exist.
        longestFirst.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        this.specialTokens = longestFirst.isEmpty()
                ? null
                : Pattern.compile(String.join(
                        "|", longestFirst.stream().map(Pattern::quote).toList()));
    }

    /** GPT-2's mapping: printable Latin-1 bytes stand for themselves, the others for code points from U+0100 up. */
    private static char[] byteToUnicode() {
        char[] table = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        return table;
    }

    /** The alphabet character that stands for byte {@code b} (0..255) in byte-level token strings. */
    public static char byteChar(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** Byte-level spelling of a piece of text: one alphabet character per UTF-8 byte. */
    public static String toByteLevel(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Calls {@code pieceSink} with each piece of {@code text} (raw text, not yet byte-level) in order, leaving
     * special tokens out; the pieces and the special tokens concatenate back to {@code text}.
     */
    public void forEachPiece(String text, Consumer<String> pieceSink) {
        if (specialTokens == null) {
            splitOrdinary(text, 0, text.length(), pieceSink);
            return;
        }
        Matcher special = specialTokens.matcher(text);
        int start = 0;
        while (special.find()) {
            splitOrdinary(text, start, special.start(), pieceSink);
            start = special.end();
        }
        splitOrdinary(text, start, text.length(), pieceSink);
    }

    /** The pieces of {@code text} as a list (see {@link #forEachPiece}). */
    public List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        forEachPiece(text, out::add);
        return out;
    }

    private static void splitOrdinary(String text, int from, int to, Consumer<String> pieceSink) {
        if (from >= to) {
            return;
        }
        Matcher m = SPLIT.matcher(text).region(from, to);
        // Lookahead must not see past the region (a special token follows), as Hugging Face splits segments apart.
        m.useTransparentBounds(false).useAnchoringBounds(false);
        int last = from;
        while (m.find()) {
            if (m.start() > last) { // "Isolated": text between matches is a piece of its own
                pieceSink.accept(text.substring(last, m.start()));
            }
            pieceSink.accept(text.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < to) {
            pieceSink.accept(text.substring(last, to));
        }
    }
}
