package io.github.sdsat.train;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.DraftVerifyDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How well a model drafts, measured with the real two-step greedy decoder ({@link SdsatTwoStepDrafter} on {@code DraftVerifyDecoder}) on the
 * first HumanEval completion prompts: mean accepted drafts per loop and tokens per forward pass for each k, and —
 * because small models loop — how much of the acceptance merely continues text already in the context: the share
 * of accepted draft tokens whose 4-gram (the token and the three before it) already occurs earlier in prompt +
 * output. Greedy output does not depend on k (it equals autoregressive greedy decoding), so the repetition figures
 * of the output are the same for every k; those of the accepted drafts are not.
 *
 * <p>Command line: {@code DraftingEvaluation [--model sdsat|FOLDER] [--prompts 82] [--new-tokens 256]
 * [--k 1,2,...,8] [--append-to-card]}; {@code --append-to-card} writes the table into the folder's MODEL_CARD.md
 * as its "Decoding" section (replacing an earlier one), as {@code Trainer} does after training.
 */
public final class DraftingEvaluation {
    /** n of the repetition check: an accepted token "repeats" when its n-gram already occurred in the context. */
    public static final int NGRAM = 4;

    /**
     * Figures of one k.
     *
     * @param k SAT tokens (drafts) per loop
     * @param loops draft/verify loops over all prompts
     * @param acceptedDrafts accepted drafts over all prompts
     * @param repeatedAcceptedDrafts accepted drafts whose 4-gram already occurred in the context
     * @param newTokens tokens emitted over all prompts
     * @param forwardPasses passes over all prompts (prefills included)
     * @param acceptedPerPosition accepted count per draft position
     */
    public record KResult(
            int k,
            long loops,
            long acceptedDrafts,
            long repeatedAcceptedDrafts,
            long newTokens,
            long forwardPasses,
            long[] acceptedPerPosition) {
        public double acceptedPerLoop() {
            return loops == 0 ? 0 : (double) acceptedDrafts / loops;
        }

        public double tokensPerForward() {
            return forwardPasses == 0 ? 0 : (double) newTokens / forwardPasses;
        }

        /** Share of accepted drafts that continue a 4-gram already in the context (NaN without accepted drafts). */
        public double repeatedShare() {
            return acceptedDrafts == 0 ? Double.NaN : (double) repeatedAcceptedDrafts / acceptedDrafts;
        }

        /** Accepted drafts per loop that did not merely repeat a 4-gram of the context. */
        public double novelAcceptedPerLoop() {
            return loops == 0 ? 0 : (double) (acceptedDrafts - repeatedAcceptedDrafts) / loops;
        }
    }

    /**
     * @param prompts prompts evaluated
     * @param maxNewTokens new-token limit of each generation
     * @param outputTokens tokens generated per prompt, summed (the same for every k)
     * @param repeatedOutputTokens output tokens whose 4-gram already occurred in the context
     * @param perK one result per k, in the order asked
     * @param seconds wall time of the whole evaluation
     */
    public record Result(
            int prompts,
            int maxNewTokens,
            long outputTokens,
            long repeatedOutputTokens,
            List<KResult> perK,
            double seconds) {
        public double repeatedOutputShare() {
            return outputTokens == 0 ? Double.NaN : (double) repeatedOutputTokens / outputTokens;
        }

        /** A Markdown table of the figures (model cards, notes). */
        public String markdown() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(
                    Locale.ROOT,
                    "Two-step greedy decoding (`%s`) on the first %d HumanEval prompts, "
                            + "%d new tokens at most (%d generated per k; %.1f%% of them continue a %d-gram already in the "
                            + "context), %.0f s:%n%n",
                    SdsatTwoStepDrafter.NAME,
                    prompts,
                    maxNewTokens,
                    outputTokens,
                    100 * repeatedOutputShare(),
                    NGRAM,
                    seconds));
            b.append("| k | loops | accepted drafts per loop | tokens per forward | accepted drafts repeating a "
                    + NGRAM + "-gram of the context | accepted per loop without those |\n|---|---|---|---|---|---|\n");
            for (KResult r : perK) {
                b.append(String.format(
                        Locale.ROOT,
                        "| %d | %d | %.3f | %.3f | %.1f%% | %.3f |%n",
                        r.k(),
                        r.loops(),
                        r.acceptedPerLoop(),
                        r.tokensPerForward(),
                        100 * r.repeatedShare(),
                        r.novelAcceptedPerLoop()));
            }
            return b.toString();
        }
    }

    private DraftingEvaluation() {}

    /** Runs the evaluation on an opened model; {@code log} gets one line per k. */
    public static Result evaluate(LoadedModel loaded, int promptCount, int maxNewTokens, int[] kList, PrintStream log) {
        if (loaded.satToken() < 0) {
            throw new IllegalArgumentException("Model " + loaded.folder() + " has no SAT token: drafting can only be "
                    + "evaluated on an SDSAT model (pass sdsat or a folder whose tokenizer has <sat>)");
        }
        List<Task> tasks = HumanEval.completionTasks();
        if (promptCount < 1 || promptCount > tasks.size()) {
            throw new IllegalArgumentException("prompts must be 1.." + tasks.size() + ", got " + promptCount);
        }
        PromptEncoder encoder =
                new PromptEncoder(loaded.tokenizer(), loaded.model().config().eosTokenIds());
        Decoder decoder = DraftVerifyDecoder.twoStep(loaded.model(), loaded.satToken());
        long start = System.nanoTime();
        List<KResult> perK = new ArrayList<>();
        long outputTokens = -1;
        long repeatedOutput = 0;
        for (int k : kList) {
            long loops = 0;
            long accepted = 0;
            long repeated = 0;
            long tokens = 0;
            long passes = 0;
            long[] perPosition = new long[k];
            long repeatedOutputThisK = 0;
            for (Task task : tasks.subList(0, promptCount)) {
                long[] prompt = encoder.encode(task);
                GenerationConfig config = GenerationConfig.builder()
                        .maxNewTokens(maxNewTokens)
                        .k(k)
                        .stopTokenIds(encoder.stopTokens(task))
                        .build();
                GenerationResult result = decoder.generate(prompt, config);
                boolean[] repeats = repeatsContext(prompt, result.outputIds(), NGRAM);
                for (int i = 0; i < repeats.length; i++) {
                    repeatedOutputThisK += repeats[i] ? 1 : 0;
                    repeated += repeats[i] && result.fromDraft()[i] ? 1 : 0;
                }
                loops += result.stats().loops();
                accepted += result.stats().acceptedTokens();
                tokens += result.stats().newTokens();
                passes += result.stats().forwardPasses();
                for (int i = 0; i < k; i++) {
                    perPosition[i] += result.stats().acceptedPerPosition()[i];
                }
            }
            outputTokens = tokens;
            repeatedOutput = repeatedOutputThisK;
            KResult r = new KResult(k, loops, accepted, repeated, tokens, passes, perPosition);
            perK.add(r);
            log.printf(
                    Locale.ROOT,
                    "[drafting] k=%d: %.3f accepted drafts per loop, %.3f tokens per forward, "
                            + "%.1f%% of accepted drafts repeat a %d-gram of the context (%.0f s so far)%n",
                    k,
                    r.acceptedPerLoop(),
                    r.tokensPerForward(),
                    100 * r.repeatedShare(),
                    NGRAM,
                    (System.nanoTime() - start) / 1e9);
        }
        return new Result(
                promptCount,
                maxNewTokens,
                Math.max(outputTokens, 0),
                repeatedOutput,
                perK,
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * Per output token: does the n-gram ending at it (taken over prompt + output) already occur, ending at an
     * earlier position, in the context before it. Tokens with fewer than n - 1 tokens before them never repeat.
     */
    public static boolean[] repeatsContext(long[] prompt, long[] output, int n) {
        long[] all = new long[prompt.length + output.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(output, 0, all, prompt.length, output.length);
        Set<List<Long>> seen = new HashSet<>();
        boolean[] repeats = new boolean[output.length];
        for (int end = n - 1; end < all.length; end++) {
            List<Long> gram = new ArrayList<>(n);
            for (int i = end - n + 1; i <= end; i++) {
                gram.add(all[i]);
            }
            boolean present = !seen.add(gram);
            if (end >= prompt.length) {
                repeats[end - prompt.length] = present;
            }
        }
        return repeats;
    }

    public static void main(String[] args) {
        io.github.sdsat.model.DjlOffline.enable(); // before the first engine call: no telemetry traffic
        String model = EmbeddedModels.DEFAULT;
        int prompts = 82;
        int newTokens = 256;
        int[] kList = {1, 2, 3, 4, 5, 6, 7, 8};
        boolean appendToCard = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--prompts" -> prompts = Integer.parseInt(args[++i]);
                case "--new-tokens" -> newTokens = Integer.parseInt(args[++i]);
                case "--append-to-card" -> appendToCard = true;
                case "--k" ->
                    kList = java.util.Arrays.stream(args[++i].split(","))
                            .map(String::strip)
                            .mapToInt(Integer::parseInt)
                            .toArray();
                default ->
                    throw new IllegalArgumentException("Unknown argument " + args[i] + ": usage "
                            + "DraftingEvaluation [--model sdsat|FOLDER] [--prompts 82] [--new-tokens 256] "
                            + "[--k 1,2,3,4,5,6,7,8] [--append-to-card]");
            }
        }
        Path folder = EmbeddedModels.resolve(model);
        try (LoadedModel loaded = LoadedModel.open(folder, DeviceChoice.resolve("cpu", "float32"), null)) {
            Result result = evaluate(loaded, prompts, newTokens, kList, System.out);
            System.out.println();
            System.out.println(result.markdown());
            if (appendToCard) {
                Path card = folder.resolve("MODEL_CARD.md");
                try {
                    String text = java.nio.file.Files.isRegularFile(card) ? java.nio.file.Files.readString(card) : "";
                    io.github.sdsat.model.AtomicFiles.writeString(card, withDecodingSection(text, result));
                } catch (java.io.IOException e) {
                    throw new io.github.sdsat.SdsatException("Cannot write " + card + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** The model card text with its "Decoding" section (up to the next section or the end) set to the result. */
    public static String withDecodingSection(String card, Result result) {
        String heading = "## Decoding\n";
        int at = card.indexOf(heading);
        String before = at < 0 ? card : card.substring(0, at);
        String after = "";
        if (at >= 0) {
            int next = card.indexOf("\n## ", at + heading.length());
            after = next < 0 ? "" : card.substring(next + 1);
        }
        String body = heading + "\n" + result.markdown();
        return (before.endsWith("\n\n") || before.isEmpty() ? before : before.stripTrailing() + "\n\n")
                + body
                + (after.isEmpty() ? "" : "\n" + after);
    }
}
