package io.github.sdsat.results;

/**
 * A greedy decoder that wrote a different line than plain greedy decoding ({@code ar}) of the same model on one
 * item: under greedy search every decoder must write exactly {@code ar}'s output.
 *
 * @param id the item
 * @param decoder the decoder
 * @param k its SAT tokens per draft
 * @param predicted the line it wrote
 * @param arPredicted the line {@code ar} wrote
 */
public record LineCompletionMismatch(String id, String decoder, int k, String predicted, String arPredicted) {}
