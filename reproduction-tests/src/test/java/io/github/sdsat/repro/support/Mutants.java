package io.github.sdsat.repro.support;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.decode.SamplingMode;
import java.util.Arrays;

/**
 * Deliberately broken decoders, each the bug a gate names, built by wrapping a correct runtime decoder. The tests of
 * the gates feed them through the same gate code as the real decoders and require the gate to fail with a message
 * that says what broke.
 */
public final class Mutants {
    private Mutants() {}

    /** Wraps a decoder under a test name; subclasses change its config or its result. */
    public abstract static class Wrapper implements Decoder {
        protected final Decoder inner;
        private final String name;

        protected Wrapper(Decoder inner, String name) {
            this.inner = inner;
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int cacheSlots(int promptTokens, GenerationConfig config) {
            return inner.cacheSlots(promptTokens, config);
        }
    }

    /** Drafts at most {@code cap} tokens per loop whatever k asks for (a silently capped SAT block). */
    public static final class CappedDrafts extends Wrapper {
        private final int cap;

        public CappedDrafts(Decoder inner, int cap) {
            super(inner, "test-" + inner.name() + "-drafts-capped-at-" + cap);
            this.cap = cap;
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            return inner.generate(
                    promptIds, config.toBuilder().k(Math.min(config.k(), cap)).build());
        }
    }

    /** Counts one forward pass per loop where its algorithm runs two (the draft pass not counted). */
    public static final class MiscountedPasses extends Wrapper {
        public MiscountedPasses(Decoder inner) {
            super(inner, "test-" + inner.name() + "-draft-pass-uncounted");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            GenerationResult r = inner.generate(promptIds, config);
            GenerationStats s = r.stats();
            GenerationStats miscounted = new GenerationStats(
                    s.newTokens(),
                    s.forwardPasses() - s.loops(),
                    s.draftedTokens(),
                    s.acceptedTokens(),
                    s.acceptedPerPosition(),
                    s.prefillMs(),
                    s.decodeMs(),
                    s.tokensPerSecond(),
                    s.loops(),
                    s.decodePassesByWidth());
            return new GenerationResult(r.promptIds(), r.outputIds(), miscounted, r.stopReason(), r.fromDraft());
        }
    }

    /** Verifies every draft with the paper's tree rule although the config asks for lossless sampling. */
    public static final class PaperRuleClaimedLossless extends Wrapper {
        public PaperRuleClaimedLossless(Decoder inner) {
            super(inner, "test-" + inner.name() + "-paper-rule-as-lossless");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            return inner.generate(
                    promptIds, config.toBuilder().sampling(SamplingMode.PAPER).build());
        }
    }

    /**
     * Emits one token past a stop token: where the correct decoder stops at a stop token, this one goes on to the
     * token the model generates after it (the official code's block bookkeeping, off by one).
     */
    public static final class LeaksPastStop extends Wrapper {
        public LeaksPastStop(Decoder inner) {
            super(inner, "test-" + inner.name() + "-leaks-past-stop");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            GenerationResult r = inner.generate(promptIds, config);
            if (!"eos".equals(r.stopReason()) || r.outputIds().length >= config.maxNewTokens()) {
                return r;
            }
            GenerationConfig noStops = config.toBuilder().stopTokenIds().build();
            long[] longer = inner.generate(promptIds, noStops).outputIds();
            long[] leaked = Arrays.copyOf(r.outputIds(), r.outputIds().length + 1);
            leaked[leaked.length - 1] = longer[r.outputIds().length];
            return new GenerationResult(r.promptIds(), leaked, r.stats(), r.stopReason());
        }
    }

    /** Emits one token fewer than maxNewTokens when no stop token ends the run (a length off by one). */
    public static final class OneTokenShort extends Wrapper {
        public OneTokenShort(Decoder inner) {
            super(inner, "test-" + inner.name() + "-one-token-short");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            GenerationResult r = inner.generate(promptIds, config);
            if (!"length".equals(r.stopReason()) || r.outputIds().length == 0) {
                return r;
            }
            long[] shorter = Arrays.copyOf(r.outputIds(), r.outputIds().length - 1);
            return new GenerationResult(r.promptIds(), shorter, r.stats(), r.stopReason());
        }
    }

    /** Reports its timings without the prefill (the official code started its timer after the prefill). */
    public static final class PrefillUntimed extends Wrapper {
        public PrefillUntimed(Decoder inner) {
            super(inner, "test-" + inner.name() + "-prefill-untimed");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            GenerationResult r = inner.generate(promptIds, config);
            GenerationStats s = r.stats();
            GenerationStats untimed = new GenerationStats(
                    s.newTokens(),
                    s.forwardPasses(),
                    s.draftedTokens(),
                    s.acceptedTokens(),
                    s.acceptedPerPosition(),
                    0.0,
                    s.decodeMs(),
                    s.newTokens() / (s.decodeMs() / 1000.0),
                    s.loops(),
                    s.decodePassesByWidth());
            return new GenerationResult(r.promptIds(), r.outputIds(), untimed, r.stopReason(), r.fromDraft());
        }
    }

    /** Does its work twice per generation (a redundant second decode): correct output, half the speed. */
    public static final class RepeatsItsWork extends Wrapper {
        public RepeatsItsWork(Decoder inner) {
            super(inner, "test-" + inner.name() + "-repeats-its-work");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            long start = System.nanoTime();
            inner.generate(promptIds, config);
            GenerationResult r = inner.generate(promptIds, config);
            GenerationStats s = r.stats();
            double totalMs = (System.nanoTime() - start) / 1e6;
            GenerationStats timed = new GenerationStats(
                    s.newTokens(),
                    s.forwardPasses(),
                    s.draftedTokens(),
                    s.acceptedTokens(),
                    s.acceptedPerPosition(),
                    s.prefillMs(),
                    totalMs - s.prefillMs(),
                    s.newTokens() / (totalMs / 1000.0),
                    s.loops(),
                    s.decodePassesByWidth());
            return new GenerationResult(r.promptIds(), r.outputIds(), timed, r.stopReason(), r.fromDraft());
        }
    }
}
