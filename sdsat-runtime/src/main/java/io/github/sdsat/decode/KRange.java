package io.github.sdsat.decode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The values of k ({@link GenerationConfig#k()}) a decoder accepts and what k means for it, one fact of its
 * {@link DecoderSpec}. Every decoder's k is checked by {@link #check}, the one k-range check of the decoders.
 *
 * @param values the accepted k, ascending; empty when the decoder ignores k (the autoregressive baseline)
 * @param meaning what k counts for this decoder (e.g. "SAT tokens per draft pass"), for messages and results.json
 */
public record KRange(List<Integer> values, String meaning) {

    public KRange {
        values = List.copyOf(values);
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) < 1 || (i > 0 && values.get(i) <= values.get(i - 1))) {
                throw new IllegalArgumentException("k values " + values + " must be ascending and >= 1");
            }
        }
        if (meaning == null || meaning.isBlank()) {
            throw new IllegalArgumentException("A k range needs the meaning of k (e.g. \"SAT tokens per pass\")");
        }
    }

    /** Every k from {@code min} to {@code max}. */
    public static KRange between(int min, int max, String meaning) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("k range " + min + ".." + max + " is empty or below 1");
        }
        return new KRange(IntStream.rangeClosed(min, max).boxed().toList(), meaning);
    }

    /** Exactly these k (e.g. the depths of the bundled draft trees). */
    public static KRange oneOf(Collection<Integer> values, String meaning) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("A k range needs at least one value");
        }
        return new KRange(new ArrayList<>(values).stream().sorted().toList(), meaning);
    }

    /** For a decoder on which k has no effect (any k is accepted). */
    public static KRange ignored() {
        return new KRange(List.of(), "ignored: no drafts");
    }

    /** Whether k plays no part in this decoder. */
    public boolean isIgnored() {
        return values.isEmpty();
    }

    public boolean accepts(int k) {
        return isIgnored() || values.contains(k);
    }

    /** The range as text: {@code 1..15}, {@code 5,7,9,11,13}, or {@code ignored}. */
    public String text() {
        if (isIgnored()) {
            return "ignored";
        }
        if (isContiguous()) {
            return values.get(0) + ".." + values.get(values.size() - 1);
        }
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /**
     * Refuses a k this decoder does not accept.
     *
     * @throws IllegalArgumentException naming the decoder, the accepted values, what k means and the value given
     */
    public void check(String decoder, int k) {
        if (accepts(k)) {
            return;
        }
        String accepted =
                isContiguous() ? "k from " + values.get(0) + " to " + values.get(values.size() - 1) : "k of " + values;
        throw new IllegalArgumentException(decoder + " supports " + accepted + " (" + meaning + "), got k = " + k
                + (isContiguous() ? ": set k in that range" : ": set k to one of them"));
    }

    private boolean isContiguous() {
        return values.get(values.size() - 1) - values.get(0) + 1 == values.size();
    }
}
