package io.github.sdsat.decode;

import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import java.util.SplittableRandom;

/** The baseline: one token per forward pass, greedy or sampled. */
public final class AutoregressiveDecoder extends AbstractDecoder {
    public static final String NAME = "ar";

    public AutoregressiveDecoder(LlamaModel model) {
        super(model);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected int scratchSlots(GenerationConfig config) {
        return 0;
    }

    @Override
    protected void decode(long[] prompt, GenerationConfig config, KvCache cache, OutputSink out, Counters counters) {
        SplittableRandom random = new SplittableRandom(config.seed());
        long next = nextToken(cache, prompt, ModelPasses.range(0, prompt.length), config, random);
        counters.prefillDone();
        long position = prompt.length;
        // Emit first, then compute: the pass for a token happens only if generation goes on (no token too many).
        while (out.emit(next)) {
            next = nextToken(cache, new long[] {next}, new long[] {position}, config, random);
            position++;
            counters.loops++;
        }
    }
}
