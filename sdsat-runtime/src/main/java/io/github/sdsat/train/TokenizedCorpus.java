package io.github.sdsat.train;

import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A corpus split (training or held-out) as one token stream: each document is {@code <s> tokens </s>}, documents
 * concatenated in file-list order. Document boundaries are kept so that fill-in-the-middle samples stay inside one
 * document.
 */
public final class TokenizedCorpus {
    private final int[] stream;
    /** Start offset of every document in {@link #stream}, ascending, plus the stream length at the end. */
    private final int[] documentStarts;

    public TokenizedCorpus(int[] stream, int[] documentStarts) {
        if (documentStarts.length < 2 || documentStarts[documentStarts.length - 1] != stream.length) {
            throw new IllegalArgumentException(
                    "documentStarts must hold every document's start and end with the " + "stream length");
        }
        this.stream = stream;
        this.documentStarts = documentStarts;
    }

    /** Tokenizes the texts in order (each wrapped in BOS and EOS). */
    public static TokenizedCorpus of(List<String> documents, SdsatTokenizer tokenizer) {
        List<long[]> encoded = new ArrayList<>();
        long total = 0;
        for (String d : documents) {
            long[] ids = tokenizer.encode(d);
            encoded.add(ids);
            total += ids.length + 2;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Corpus of " + total + " tokens is too large for one stream");
        }
        int[] stream = new int[(int) total];
        int[] starts = new int[encoded.size() + 1];
        int at = 0;
        int bos = tokenizer.specials().bos();
        int eos = tokenizer.specials().eos();
        for (int i = 0; i < encoded.size(); i++) {
            starts[i] = at;
            stream[at++] = bos;
            for (long id : encoded.get(i)) {
                stream[at++] = (int) id;
            }
            stream[at++] = eos;
        }
        starts[encoded.size()] = at;
        return new TokenizedCorpus(stream, starts);
    }

    public int size() {
        return stream.length;
    }

    public int documentCount() {
        return documentStarts.length - 1;
    }

    public int token(int index) {
        return stream[index];
    }

    /** Index of the document holding stream offset {@code index}. */
    public int documentAt(int index) {
        int i = java.util.Arrays.binarySearch(documentStarts, index);
        return i >= 0 ? Math.min(i, documentCount() - 1) : -i - 2;
    }

    public int documentStart(int document) {
        return documentStarts[document];
    }

    /** End (exclusive) of a document in the stream, after its EOS. */
    public int documentEnd(int document) {
        return documentStarts[document + 1];
    }
}
