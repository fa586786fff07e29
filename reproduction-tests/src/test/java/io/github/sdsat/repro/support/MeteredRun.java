package io.github.sdsat.repro.support;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.model.LlamaModel;
import java.util.Arrays;

/**
 * One generation measured from outside the decoder: the forward passes counted at the model boundary
 * ({@link LlamaModel#passMeter()}, read before and after) and the wall time read by the harness around
 * {@link Decoder#generate}, so that a decoder which leaves passes out of its own counter or work out of its own clock
 * cannot pass a gate. The gates read {@link #counted()}: the decoder's tokens and draft bookkeeping with its pass
 * counts replaced by the model's.
 *
 * @param result what the decoder returned (its own counters and clock)
 * @param modelPasses passes the model ran during the generation, the prefill included
 * @param modelPassesByWidth those passes by width (index = new tokens in the pass)
 * @param wallMs the harness's wall time around the whole {@code generate} call (cache allocation included)
 */
public record MeteredRun(GenerationResult result, long modelPasses, long[] modelPassesByWidth, double wallMs) {

    public static MeteredRun generate(LlamaModel model, Decoder decoder, long[] promptIds, GenerationConfig config) {
        long[] before = model.passMeter().passesByWidth();
        long start = System.nanoTime(); // the CPU passes are synchronous: LlamaModel.clock would add nothing here
        GenerationResult result = decoder.generate(promptIds, config);
        double wallMs = (System.nanoTime() - start) / 1e6;
        long[] after = model.passMeter().passesByWidth();
        long[] delta = Arrays.copyOf(after, after.length);
        for (int w = 0; w < before.length; w++) {
            delta[w] -= before[w];
        }
        return new MeteredRun(result, Arrays.stream(delta).sum(), delta, wallMs);
    }

    /**
     * The decoder's result with forward passes and decode passes by width as the model counted them. The prefill is
     * taken out of the widths (the decoders' convention) as one pass of the widest width: the prefill holds the
     * whole prompt (and a SAT block for the single-pass decoder), wider than any decode pass of the gates' prompts;
     * when it is not, only which width loses one pass changes, never a count.
     */
    public GenerationResult counted() {
        GenerationStats s = result.stats();
        long[] decode = modelPassesByWidth.clone();
        int widest = decode.length - 1; // the meter's widths run to the widest pass ever, so trailing zeros are common
        while (widest > 0 && decode[widest] == 0) {
            widest--;
        }
        if (modelPasses > 0) {
            decode[widest]--;
        }
        int last = decode.length - 1;
        while (last > 0 && decode[last] == 0) {
            last--;
        }
        GenerationStats counted = new GenerationStats(
                s.newTokens(),
                Math.toIntExact(modelPasses),
                s.draftedTokens(),
                s.acceptedTokens(),
                s.acceptedPerPosition(),
                s.prefillMs(),
                s.decodeMs(),
                s.tokensPerSecond(),
                s.loops(),
                Arrays.copyOf(decode, last + 1));
        return new GenerationResult(
                result.promptIds(), result.outputIds(), counted, result.stopReason(), result.fromDraft());
    }
}
