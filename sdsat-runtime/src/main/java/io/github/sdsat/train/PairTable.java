package io.github.sdsat.train;

import java.util.Arrays;

/**
 * Dense numbering of adjacent token pairs for the BPE trainer: an open-addressing hash from the packed pair
 * ({@code left << 16 | right}) to a stable index, with per-index count and the list of words that contained the
 * pair when it was recorded (a word may be listed more than once or no longer contain the pair; the trainer
 * checks). Pairs are never removed, their count just drops to zero.
 */
final class PairTable {
    private static final int EMPTY = -1;

    private int[] slots = new int[1 << 16]; // pair index, or EMPTY
    private long[] keys = new long[1 << 15]; // by index
    private long[] counts = new long[1 << 15]; // by index
    private int[][] words = new int[1 << 15][]; // by index
    private int[] wordCounts = new int[1 << 15]; // by index
    private int size;

    PairTable() {
        Arrays.fill(slots, EMPTY);
    }

    static long key(int left, int right) {
        return ((long) left << 16) | right;
    }

    static int left(long key) {
        return (int) (key >>> 16);
    }

    static int right(long key) {
        return (int) (key & 0xFFFF);
    }

    int size() {
        return size;
    }

    long key(int index) {
        return keys[index];
    }

    long count(int index) {
        return counts[index];
    }

    void addCount(int index, long delta) {
        counts[index] += delta;
    }

    /** Index of the pair, or -1 if it was never recorded. */
    int find(long key) {
        int mask = slots.length - 1;
        for (int s = hash(key) & mask; ; s = (s + 1) & mask) {
            int index = slots[s];
            if (index == EMPTY) {
                return -1;
            }
            if (keys[index] == key) {
                return index;
            }
        }
    }

    /** Index of the pair, recording it with count 0 and no words if it is new. */
    int findOrAdd(long key) {
        int mask = slots.length - 1;
        int s = hash(key) & mask;
        for (; ; s = (s + 1) & mask) {
            int index = slots[s];
            if (index == EMPTY) {
                break;
            }
            if (keys[index] == key) {
                return index;
            }
        }
        int index = size++;
        if (index == keys.length) {
            int grown = keys.length * 2;
            keys = Arrays.copyOf(keys, grown);
            counts = Arrays.copyOf(counts, grown);
            words = Arrays.copyOf(words, grown);
            wordCounts = Arrays.copyOf(wordCounts, grown);
        }
        keys[index] = key;
        slots[s] = index;
        if (size * 2 > slots.length) {
            rehash();
        }
        return index;
    }

    void addWord(int index, int word) {
        int[] list = words[index];
        int n = wordCounts[index];
        if (list == null) {
            list = new int[4];
            words[index] = list;
        } else if (n > 0 && list[n - 1] == word) {
            return; // the common repeat: same word, consecutive occurrences
        } else if (n == list.length) {
            list = Arrays.copyOf(list, n * 2);
            words[index] = list;
        }
        list[n] = word;
        wordCounts[index] = n + 1;
    }

    /** Words recorded for the pair; only the first {@link #wordCount(int)} entries are valid. */
    int[] words(int index) {
        int[] list = words[index];
        return list == null ? new int[0] : list;
    }

    int wordCount(int index) {
        return wordCounts[index];
    }

    /** Drops the word list of a pair that has been merged and will never be looked at again. */
    void clearWords(int index) {
        words[index] = null;
        wordCounts[index] = 0;
    }

    private void rehash() {
        int[] grown = new int[slots.length * 2];
        Arrays.fill(grown, EMPTY);
        int mask = grown.length - 1;
        for (int index = 0; index < size; index++) {
            int s = hash(keys[index]) & mask;
            while (grown[s] != EMPTY) {
                s = (s + 1) & mask;
            }
            grown[s] = index;
        }
        slots = grown;
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
