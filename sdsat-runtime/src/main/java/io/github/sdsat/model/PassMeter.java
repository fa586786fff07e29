package io.github.sdsat.model;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Forward passes counted at the model boundary: every pass {@link LlamaModel} runs (the decoders' {@code logits} and
 * {@code argmax}, and the NDArray {@code forward}), by its number of new tokens. Why here and not in a decoder: a gate
 * that reads a decoder's own counter passes a decoder that leaves passes out of it; the reproduction gates read
 * this meter before and after a generation instead. Thread-safe; widths from {@link #MAX_WIDTH} on share the last
 * slot.
 */
public final class PassMeter {
    /** Widths counted one by one (a pass of more new tokens is counted at this width). */
    public static final int MAX_WIDTH = 1024;

    private final AtomicLongArray byWidth = new AtomicLongArray(MAX_WIDTH + 1);

    void count(int newTokens) {
        byWidth.incrementAndGet(Math.min(newTokens, MAX_WIDTH));
    }

    /** Passes so far by width (index = new tokens in the pass), trimmed after the widest. */
    public long[] passesByWidth() {
        int last = MAX_WIDTH;
        while (last > 0 && byWidth.get(last) == 0) {
            last--;
        }
        long[] copy = new long[last + 1];
        for (int w = 0; w <= last; w++) {
            copy[w] = byWidth.get(w);
        }
        return copy;
    }

    /** Passes so far. */
    public long passes() {
        long sum = 0;
        for (int w = 0; w <= MAX_WIDTH; w++) {
            sum += byWidth.get(w);
        }
        return sum;
    }
}
