package io.github.sdsat.results;

/** Hand-made prompt records for tests. */
public final class PromptRecordFixtures {

    private PromptRecordFixtures() {}

    /** A greedy record with the given time and counts; identical unless told otherwise. */
    public static PromptRecord greedy(
            String dataset,
            String taskId,
            String decoder,
            int k,
            double timeMs,
            int newTokens,
            int forwardPasses,
            long drafted,
            long accepted,
            int loops,
            Boolean identical) {
        return new PromptRecord(
                dataset,
                taskId,
                decoder,
                k,
                0.0,
                null,
                20,
                newTokens,
                forwardPasses,
                drafted,
                accepted,
                new long[] {accepted},
                timeMs,
                timeMs / 10,
                newTokens / (timeMs / 1000.0),
                identical,
                Boolean.FALSE.equals(identical) ? 3 : null,
                loops,
                null,
                null,
                null,
                null);
    }

    /** An autoregressive baseline record: one forward pass per token. */
    public static PromptRecord baseline(String dataset, String taskId, double timeMs, int newTokens) {
        return greedy(dataset, taskId, "ar", 0, timeMs, newTokens, newTokens, 0, 0, newTokens, Boolean.TRUE);
    }

    /** The same record with {@code repeated} of its accepted drafts counted as copies of a context 4-gram. */
    public static PromptRecord withRepeats(PromptRecord r, Long repeated) {
        return io.github.sdsat.Records.copyWith(r, "repeatedAcceptedTokens", repeated);
    }

    /** A sampling record at temperature {@code t}. */
    public static PromptRecord sampled(
            String dataset,
            String taskId,
            String decoder,
            int k,
            double t,
            String sampling,
            double timeMs,
            int newTokens,
            int forwardPasses,
            long drafted,
            long accepted,
            int loops) {
        // the greedy record's fields at temperature t with its sampling mode: sampled rows are not compared
        PromptRecord greedy =
                greedy(dataset, taskId, decoder, k, timeMs, newTokens, forwardPasses, drafted, accepted, loops, null);
        return io.github.sdsat.Records.copyWith(greedy, "temperature", t, "sampling", sampling);
    }
}
