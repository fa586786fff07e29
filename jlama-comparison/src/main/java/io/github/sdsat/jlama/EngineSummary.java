package io.github.sdsat.jlama;

import io.github.sdsat.results.Aggregator;
import java.util.List;

/**
 * Speed of one engine over all timed prompts.
 *
 * <p>Two rates, kept apart because the engines differ most in the prefill (Jlama's batched prompt pass is slow,
 * its single-token pass fast):
 *
 * <ul>
 *   <li><b>decode</b>: the tokens after the first, over the time after the prefill ({@code (n - 1) / decode}); the
 *       first token comes out of the prefill in both engines;
 *   <li><b>end to end</b>: all new tokens over the wall time of the whole call, prefill included ({@code n / wall}).
 * </ul>
 *
 * Each comes as the median of the per-prompt rates and as a total (sum of tokens over sum of seconds, which weighs
 * long runs more).
 */
public record EngineSummary(
        String engine,
        String threads,
        int prompts,
        long newTokens,
        double decodeMedian,
        double decodeTotal,
        double endToEndMedian,
        double endToEndTotal,
        double prefillMsMedian) {

    /** One timed run. */
    public record Timing(int newTokens, long prefillNanos, long decodeNanos, long wallNanos) {
        public Timing {
            if (newTokens < 2) {
                throw new IllegalArgumentException(
                        "A timed run needs at least 2 new tokens to have a decode phase, " + "got " + newTokens);
            }
        }

        double decodeRate() {
            return (newTokens - 1) / (decodeNanos / 1e9);
        }

        double endToEndRate() {
            return newTokens / (wallNanos / 1e9);
        }
    }

    public static EngineSummary of(String engine, String threads, List<Timing> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("No timed runs for " + engine);
        }
        long tokens = 0;
        long decodeTokens = 0;
        long decodeNanos = 0;
        long wallNanos = 0;
        for (Timing t : runs) {
            tokens += t.newTokens();
            decodeTokens += t.newTokens() - 1;
            decodeNanos += t.decodeNanos();
            wallNanos += t.wallNanos();
        }
        return new EngineSummary(
                engine,
                threads,
                runs.size(),
                tokens,
                Aggregator.median(runs.stream().mapToDouble(Timing::decodeRate).toArray()),
                decodeTokens / (decodeNanos / 1e9),
                Aggregator.median(
                        runs.stream().mapToDouble(Timing::endToEndRate).toArray()),
                tokens / (wallNanos / 1e9),
                Aggregator.median(
                        runs.stream().mapToDouble(t -> t.prefillNanos() / 1e6).toArray()));
    }
}
