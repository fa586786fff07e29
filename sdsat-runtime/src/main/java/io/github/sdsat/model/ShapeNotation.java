package io.github.sdsat.model;

import io.github.sdsat.SdsatException;

/**
 * A model's sizes written as one command-line value, {@value #SIZES} (training's {@code --shape}, the shapes of
 * {@code TrainingThroughput}) or {@value #SIZES_VOCAB_CONTEXT} (the random-weight models of the benchmarks'
 * {@code --random-shape}): the one parser of that notation, so that both spell and check it alike.
 */
public final class ShapeNotation {
    /** Four sizes: hidden size, layers, attention heads (= key/value heads), MLP width. */
    public static final String SIZES = "HIDDEN:LAYERS:HEADS:INTERMEDIATE";
    /** The four sizes, then the vocabulary and the context length. */
    public static final String SIZES_VOCAB_CONTEXT = SIZES + ":VOCAB:CONTEXT";

    private ShapeNotation() {}

    /**
     * {@value #SIZES} as {@code {hidden, layers, heads, intermediate}}.
     *
     * @throws SdsatException naming the notation and an example when the text is not four positive integers, or
     *     when the hidden size does not split into the heads evenly
     */
    public static int[] sizes(String text) {
        return parse(text, SIZES, "384:6:6:1024");
    }

    /**
     * {@value #SIZES_VOCAB_CONTEXT} as {@code {hidden, layers, heads, intermediate, vocab, context}}.
     *
     * @throws SdsatException as {@link #sizes}, for six positive integers
     */
    public static int[] sizesVocabContext(String text) {
        return parse(text, SIZES_VOCAB_CONTEXT, "1024:8:16:2816:32000:2048");
    }

    private static int[] parse(String text, String notation, String example) {
        int fields = notation.split(":").length;
        String[] parts = text.split(":", -1);
        int[] v = new int[fields];
        try {
            if (parts.length != fields) {
                throw new NumberFormatException();
            }
            for (int i = 0; i < fields; i++) {
                v[i] = Integer.parseInt(parts[i].strip());
                if (v[i] < 1) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new SdsatException("Model shape '" + text + "' is not " + notation + " with " + fields
                    + " positive integers, e.g. " + example);
        }
        // v[0] hidden, v[2] heads: rotary embeddings rotate pairs, so each head needs an even size
        if (v[0] % v[2] != 0 || (v[0] / v[2]) % 2 != 0) {
            throw new SdsatException("Model shape '" + text + "': the hidden size " + v[0] + " must split into " + v[2]
                    + " heads of an even size (rotary embeddings rotate pairs); pick heads dividing it");
        }
        return v;
    }
}
