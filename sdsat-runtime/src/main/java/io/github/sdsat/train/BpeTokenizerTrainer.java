package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Byte-level BPE trainer producing a Hugging Face tokenizer.json (see {@link TrainedBpe#writeTo}).
 *
 * <p>Feed text with {@link #addText(String)}; it is split like the written tokenizer splits it (special tokens,
 * Llama-3 regex, UTF-8 bytes) and the pieces are counted. {@link #train()} then repeatedly merges the most
 * frequent adjacent pair over the counted pieces. Pair counts are updated incrementally: each pair keeps the list
 * of pieces it occurs in, a merge rewrites only those pieces, and a max-heap with lazy invalidation finds the next
 * pair. Ties go to the pair with the smaller (left id, right id), so the same text gives the same file.
 *
 * <p>Id layout: special tokens first (in the given order), then the 256 byte tokens in byte order, then merges.
 */
public final class BpeTokenizerTrainer {

    /** Special tokens of the embedded model, in id order: BOS, EOS, CodeLlama-style FIM sentinels, SAT, PAD. */
    public static final List<String> DEFAULT_SPECIAL_TOKENS =
            List.of("<s>", "</s>", "<PRE>", "<SUF>", "<MID>", "<EOT>", "<sat>", "<pad>");

    /** Largest vocabulary: token ids are packed in 16 bits inside a pair key. */
    public static final int MAX_VOCAB_SIZE = 1 << 16;

    /**
     * @param vocabSize     total tokens including the specials and the 256 byte tokens; training stops earlier
     *                      when no pair reaches {@code minFrequency}
     * @param specialTokens added tokens, ids 0..n-1; the first is written as bos_token, the second as eos_token,
     *                      and "&lt;pad&gt;" (if listed) as pad_token
     * @param minFrequency  smallest count (over the corpus) a pair needs to be merged
     * @param modelMaxLength context length written to tokenizer_config.json
     */
    public record Options(int vocabSize, List<String> specialTokens, int minFrequency, int modelMaxLength) {
        public Options {
            Objects.requireNonNull(specialTokens, "specialTokens");
            specialTokens = List.copyOf(specialTokens);
            if (specialTokens.size() < 2) {
                throw new IllegalArgumentException("specialTokens must list at least BOS and EOS (got " + specialTokens
                        + "); the default is " + DEFAULT_SPECIAL_TOKENS + ".");
            }
            if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
                throw new IllegalArgumentException(
                        "specialTokens has duplicates: " + specialTokens + "; list each token once.");
            }
            for (String token : specialTokens) {
                if (token.codePointCount(0, token.length()) < 2) {
                    throw new IllegalArgumentException("Special token \"" + token + "\" is shorter than two "
                            + "characters and would clash with a byte token; use a name like \"<sat>\".");
                }
            }
            int smallest = specialTokens.size() + 256;
            if (vocabSize <= smallest || vocabSize > MAX_VOCAB_SIZE) {
                throw new IllegalArgumentException("vocabSize " + vocabSize + " must be between " + (smallest + 1)
                        + " (specials + 256 bytes + 1 merge) and " + MAX_VOCAB_SIZE + ".");
            }
            if (minFrequency < 1) {
                throw new IllegalArgumentException("minFrequency " + minFrequency + " must be at least 1.");
            }
            if (modelMaxLength < 1) {
                throw new IllegalArgumentException("modelMaxLength " + modelMaxLength + " must be positive.");
            }
        }

        /** The project defaults: {@link #DEFAULT_SPECIAL_TOKENS}, pairs seen at least twice, 2048 context. */
        public static Options withVocabSize(int vocabSize) {
            return new Options(vocabSize, DEFAULT_SPECIAL_TOKENS, 2, 2048);
        }
    }

    private final Options options;
    private final ByteLevelPreTokenizer preTokenizer;
    private final Map<String, long[]> pieceCounts = new HashMap<>();
    private long textBytes;
    private long pieceTotal;
    private long countNanos;

    public BpeTokenizerTrainer(Options options) {
        this.options = Objects.requireNonNull(options, "options");
        this.preTokenizer = new ByteLevelPreTokenizer(options.specialTokens());
    }

    public Options options() {
        return options;
    }

    /** Counts the pieces of one document (a source file); documents are pre-tokenized independently. */
    public void addText(String text) {
        Objects.requireNonNull(text, "text");
        long start = System.nanoTime();
        textBytes += text.getBytes(StandardCharsets.UTF_8).length;
        preTokenizer.forEachPiece(text, piece -> {
            pieceCounts.computeIfAbsent(piece, p -> new long[1])[0]++;
            pieceTotal++;
        });
        countNanos += System.nanoTime() - start;
    }

    /** Learns the merges over all text added so far. */
    public TrainedBpe train() {
        long start = System.nanoTime();
        List<String> specials = options.specialTokens();
        int firstByteId = specials.size();
        List<String> tokens = new ArrayList<>(specials);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < specials.size(); i++) {
            ids.put(specials.get(i), i);
        }
        for (int b = 0; b < 256; b++) {
            String token = String.valueOf(ByteLevelPreTokenizer.byteChar(b));
            ids.put(token, tokens.size());
            tokens.add(token);
        }

        // Pieces in sorted order so that word indices, and with them everything after, do not depend on hashing.
        String[] pieces = pieceCounts.keySet().toArray(String[]::new);
        Arrays.sort(pieces);
        int wordCount = pieces.length;
        int[][] symbols = new int[wordCount][];
        int[] lengths = new int[wordCount];
        long[] frequencies = new long[wordCount];
        PairTable pairs = new PairTable();
        for (int w = 0; w < wordCount; w++) {
            byte[] bytes = pieces[w].getBytes(StandardCharsets.UTF_8);
            int[] s = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                s[i] = firstByteId + (bytes[i] & 0xFF);
            }
            symbols[w] = s;
            lengths[w] = s.length;
            frequencies[w] = pieceCounts.get(pieces[w])[0];
            for (int i = 0; i + 1 < s.length; i++) {
                int index = pairs.findOrAdd(PairTable.key(s[i], s[i + 1]));
                pairs.addCount(index, frequencies[w]);
                pairs.addWord(index, w);
            }
        }
        pieces = null; // the strings are no longer needed; the symbol arrays hold the pieces

        LongMaxHeap heap = new LongMaxHeap(Math.max(16, pairs.size()));
        for (int index = 0; index < pairs.size(); index++) {
            heap.push(heapKey(pairs.count(index), pairs.key(index)));
        }

        List<long[]> merges = new ArrayList<>(); // {left id, right id}
        Set<Long> mergedPairs = new HashSet<>();
        int[] wordStamp = new int[wordCount];
        int[] pairStamp = new int[pairs.size() * 2 + 16];
        long[] countBefore = new long[pairStamp.length];
        int[] touched = new int[1024];
        int stamp = 0;
        int reusedTokens = 0;
        while (tokens.size() < options.vocabSize()) {
            int best = -1;
            long bestCount = 0;
            while (!heap.isEmpty()) {
                long top = heap.pop();
                long count = top >>> 32;
                int index = pairs.find(0xFFFFFFFFL - (top & 0xFFFFFFFFL));
                if (pairs.count(index) == count) { // otherwise stale: the pair changed since the push
                    best = index;
                    bestCount = count;
                    break;
                }
            }
            if (best < 0 || bestCount < options.minFrequency()) {
                break;
            }
            long pairKey = pairs.key(best);
            int left = PairTable.left(pairKey);
            int right = PairTable.right(pairKey);
            String merged = tokens.get(left) + tokens.get(right);
            Integer existing = ids.get(merged);
            int mergedId;
            if (existing == null) {
                mergedId = tokens.size();
                tokens.add(merged);
                ids.put(merged, mergedId);
            } else {
                // Another pair already spelled this string (e.g. "ab"+"c" and "a"+"bc"): reuse its id as
                // Hugging Face's trainer does.
                mergedId = existing;
                reusedTokens++;
            }
            if (mergedPairs.add(pairKey)) {
                merges.add(new long[] {left, right});
            }

            stamp++;
            int touchedCount = 0;
            int[] list = pairs.words(best);
            int listSize = pairs.wordCount(best);
            pairs.clearWords(best);
            for (int i = 0; i < listSize; i++) {
                int w = list[i];
                if (wordStamp[w] == stamp) {
                    continue;
                }
                wordStamp[w] = stamp;
                int[] s = symbols[w];
                int len = lengths[w];
                if (!containsPair(s, len, left, right)) {
                    continue;
                }
                long frequency = frequencies[w];
                // Retract all pairs of the piece, merge, and count its new pairs: pieces are short, and this is
                // simpler to get right than patching neighbours around each occurrence.
                for (int j = 0; j + 1 < len; j++) {
                    int index = pairs.find(PairTable.key(s[j], s[j + 1]));
                    if (pairStamp[index] != stamp) {
                        pairStamp[index] = stamp;
                        countBefore[index] = pairs.count(index);
                        touched = append(touched, touchedCount++, index);
                    }
                    pairs.addCount(index, -frequency);
                }
                int out = 0;
                for (int j = 0; j < len; ) {
                    if (j + 1 < len && s[j] == left && s[j + 1] == right) {
                        s[out++] = mergedId;
                        j += 2;
                    } else {
                        s[out++] = s[j++];
                    }
                }
                lengths[w] = out;
                for (int j = 0; j + 1 < out; j++) {
                    int index = pairs.findOrAdd(PairTable.key(s[j], s[j + 1]));
                    if (index >= pairStamp.length) {
                        pairStamp = Arrays.copyOf(pairStamp, Math.max(index + 1, pairStamp.length * 2));
                        countBefore = Arrays.copyOf(countBefore, pairStamp.length);
                    }
                    if (pairStamp[index] != stamp) {
                        pairStamp[index] = stamp;
                        countBefore[index] = pairs.count(index);
                        touched = append(touched, touchedCount++, index);
                    }
                    pairs.addCount(index, frequency);
                    if (s[j] == mergedId || s[j + 1] == mergedId) {
                        pairs.addWord(index, w);
                    }
                }
            }
            for (int t = 0; t < touchedCount; t++) {
                int index = touched[t];
                long count = pairs.count(index);
                if (count > 0 && count != countBefore[index]) {
                    heap.push(heapKey(count, pairs.key(index)));
                }
            }
        }

        List<String[]> mergeStrings = new ArrayList<>(merges.size());
        for (long[] m : merges) {
            mergeStrings.add(new String[] {tokens.get((int) m[0]), tokens.get((int) m[1])});
        }
        TrainedBpe.Stats stats = new TrainedBpe.Stats(
                textBytes,
                pieceTotal,
                wordCount,
                merges.size(),
                reusedTokens,
                countNanos / 1e9,
                (System.nanoTime() - start) / 1e9);
        return new TrainedBpe(options, tokens, mergeStrings, stats);
    }

    private static boolean containsPair(int[] s, int len, int left, int right) {
        for (int j = 0; j + 1 < len; j++) {
            if (s[j] == left && s[j + 1] == right) {
                return true;
            }
        }
        return false;
    }

    private static int[] append(int[] array, int at, int value) {
        int[] out = at == array.length ? Arrays.copyOf(array, array.length * 2) : array;
        out[at] = value;
        return out;
    }

    /** Count in the high half; the low half is larger for smaller pairs, so the max-heap breaks ties to them. */
    private static long heapKey(long count, long pairKey) {
        if (count > Integer.MAX_VALUE) {
            throw new SdsatException("A byte pair occurs " + count + " times, more than this trainer counts ("
                    + Integer.MAX_VALUE + "): train on a smaller corpus.");
        }
        return (count << 32) | (0xFFFFFFFFL - pairKey);
    }

    /** Binary max-heap of primitive longs. */
    private static final class LongMaxHeap {
        private long[] heap;
        private int size;

        LongMaxHeap(int capacity) {
            heap = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long value) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] >= value) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = value;
        }

        long pop() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && heap[child + 1] > heap[child]) {
                    child++;
                }
                if (last >= heap[child]) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
