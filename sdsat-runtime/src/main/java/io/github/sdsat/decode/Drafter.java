package io.github.sdsat.decode;

/**
 * Proposes the drafts of each pass of {@link DraftVerifyDecoder}'s one verify loop, as vLLM's proposers and Hugging
 * Face's candidate generators do: prompt lookup ({@link NgramIndex}), the oracle ({@link OracleDrafter}), SDSAT's
 * two-step scheme ({@link SdsatTwoStepDrafter}) and the SAT chain with or without lookup ({@link SdsatChainDrafter}).
 * A drafter may ask for SAT slots appended to a pass (the {@code [t, d1..dc, S×s]} layout) and gets their rows back.
 *
 * <p>A drafter is stateful across one generation and not thread-safe: {@link #start} begins a generation,
 * {@link #commit} reports each token that became part of the context, {@link #propose} is asked before every pass
 * after the prefill, and {@link #verified} reports each pass's outcome (the prefill's included).
 */
public interface Drafter {
    /** Begins a generation whose context is {@code prompt} (the drafter must not keep or modify the array). */
    void start(long[] prompt);

    /** {@code token} was appended to the context (emitted by the decoder). */
    void commit(long token);

    /**
     * The next pass's proposal, at most {@code max} drafts after the context; {@link Proposal#none()} for a plain
     * one-token pass.
     */
    Proposal propose(int max);

    /** SAT slots appended to the prefill (the prompt's pass), whose rows draft the tokens after the first one. */
    default int satSlotsAtPrefill() {
        return 0;
    }

    /**
     * The pass of the last proposal (or the prefill) accepted its first {@code accepted} drafts; {@code satRows}
     * holds the rows of its SAT slots (count 0 when it had none).
     */
    default void verified(int accepted, SatRows satRows) {}

    /** Cache slots a pass may use beyond the committed tokens, for k ({@link AbstractDecoder}'s scratch slots). */
    default int scratchSlots(int k) {
        return k; // the drafts behind t
    }
}
