package io.github.sdsat.repro.support;

import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.GenerationStats;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
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

    /**
     * Does a redundant second generation that neither its counter nor its clock sees: it returns the statistics of
     * one generation, honestly measured, so a gate reading the decoder's own clock or counter passes it; the model
     * ran twice the passes and the harness's clock saw twice the time.
     */
    public static final class HidesWorkFromItsClock extends Wrapper {
        public HidesWorkFromItsClock(Decoder inner) {
            super(inner, "test-" + inner.name() + "-hides-work-from-its-clock");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            inner.generate(promptIds, config); // outside its own clock and counter
            return inner.generate(promptIds, config);
        }
    }

    /** Runs one extra prefill pass on the model that its own pass counter (and clock) leave out. */
    public static final class HiddenPrefillPass extends Wrapper {
        private final LlamaModel model;

        public HiddenPrefillPass(Decoder inner, LlamaModel model) {
            super(inner, "test-" + inner.name() + "-hidden-prefill-pass");
            this.model = model;
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            try (KvCache scratch = model.newCache(promptIds.length)) {
                long[] positions =
                        java.util.stream.LongStream.range(0, promptIds.length).toArray();
                model.argmax(scratch, promptIds, positions, null, promptIds.length - 1);
            }
            return inner.generate(promptIds, config);
        }
    }

    /**
     * Drafts at most {@code cap} tokens per loop but reports k: its accepted-per-position has k entries (the ones
     * past the cap zero), its drafted count is scaled to k per loop and its passes are reported at the width of a
     * k-draft pass, so only the widths of the passes the model ran can tell.
     */
    public static final class CappedDraftsReportingK extends Wrapper {
        private final int cap;

        public CappedDraftsReportingK(Decoder inner, int cap) {
            super(inner, "test-" + inner.name() + "-drafts-capped-at-" + cap + "-reporting-k");
            this.cap = cap;
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            int k = config.k();
            GenerationResult r = inner.generate(
                    promptIds, config.toBuilder().k(Math.min(k, cap)).build());
            GenerationStats s = r.stats();
            GenerationStats claimed = new GenerationStats(
                    s.newTokens(),
                    s.forwardPasses(),
                    s.draftedTokens() / Math.min(k, cap) * k,
                    s.acceptedTokens(),
                    Arrays.copyOf(s.acceptedPerPosition(), k),
                    s.prefillMs(),
                    s.decodeMs(),
                    s.tokensPerSecond(),
                    s.loops(),
                    claimedWidths(s.decodePassesByWidth(), k + 1));
            return new GenerationResult(r.promptIds(), r.outputIds(), claimed, r.stopReason(), r.fromDraft());
        }

        /** Every decode pass reported at the width of a k-draft pass. */
        private static long[] claimedWidths(long[] widths, int width) {
            long[] claimed = new long[width + 1];
            claimed[width] = Arrays.stream(widths).sum();
            return claimed;
        }
    }

    /** Samples without the top-p cut whatever the config asks for (top-k and temperature kept). */
    public static final class IgnoresTopP extends Wrapper {
        public IgnoresTopP(Decoder inner) {
            super(inner, "test-" + inner.name() + "-ignores-top-p");
        }

        @Override
        public GenerationResult generate(long[] promptIds, GenerationConfig config) {
            return inner.generate(promptIds, config.toBuilder().topP(1.0).build());
        }
    }
}
