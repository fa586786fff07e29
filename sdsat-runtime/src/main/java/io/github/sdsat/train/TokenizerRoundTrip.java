package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Checks that a tokenizer gives back every corpus file exactly: decode(encode(text)) == text. */
public final class TokenizerRoundTrip {

    /**
     * @param files               files checked
     * @param bytes               their UTF-8 bytes
     * @param tokens              tokens they encode to
     * @param filesWithSpecials   files whose text contains a special token's literal spelling (e.g. "&lt;s&gt;"),
     *                            which encodes to the special id, as in Hugging Face
     * @param seconds             wall time of the check
     */
    public record Report(int files, long bytes, long tokens, List<String> filesWithSpecials, double seconds) {
        public double tokensPerByte() {
            return bytes == 0 ? 0 : (double) tokens / bytes;
        }
    }

    private TokenizerRoundTrip() {}

    /**
     * Encodes and decodes every file of the corpus.
     *
     * @throws SdsatException naming the first file that does not come back unchanged and where it differs
     */
    public static Report verifyRoundTrip(SdsatTokenizer tokenizer, PythonCorpus corpus) {
        long start = System.nanoTime();
        long bytes = 0;
        long tokens = 0;
        List<String> withSpecials = new ArrayList<>();
        for (PythonCorpus.SourceFile file : corpus.files()) {
            String text = corpus.read(file);
            long[] ids = tokenizer.encode(text);
            String back = tokenizer.decode(ids);
            if (!back.equals(text)) {
                int at = firstDifference(text, back);
                throw new SdsatException("Tokenizer " + tokenizer.folder() + " does not reproduce "
                        + file.relativePath() + ": decode(encode(text)) differs at character " + at + " (expected "
                        + snippet(text, at) + ", got " + snippet(back, at) + "). Retrain the tokenizer with "
                        + "BpeTokenizerTrainer, whose byte-level tokenizer.json round-trips any UTF-8 text.");
            }
            for (long id : ids) {
                if (tokenizer.isSpecial(id)) {
                    withSpecials.add(file.relativePath());
                    break;
                }
            }
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
            tokens += ids.length;
        }
        return new Report(
                corpus.files().size(), bytes, tokens, List.copyOf(withSpecials), (System.nanoTime() - start) / 1e9);
    }

    private static int firstDifference(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            if (a.charAt(i) != b.charAt(i)) {
                return i;
            }
        }
        return n;
    }

    private static String snippet(String s, int at) {
        int from = Math.max(0, at - 20);
        int to = Math.min(s.length(), at + 20);
        return "\"" + s.substring(from, to).replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }
}
