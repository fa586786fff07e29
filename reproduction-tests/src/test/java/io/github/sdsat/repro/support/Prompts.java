package io.github.sdsat.repro.support;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.tokenizer.FimFormat;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import io.github.sdsat.tokenizer.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns HumanEval tasks into token prompts for a model. Completion: {@code <s> prompt}, stop at EOS. Infilling: the
 * SPM layout of {@link FimFormat#spmPrompt} ({@code <s> <PRE> <SUF> suffix <MID> prefix}, the layout the embedded model
 * is trained on), stop at {@code <EOT>} or EOS.
 *
 * <p>Prompts are cut to fit {@code context - maxNewTokens - reserve}: a completion prompt keeps BOS and its last
 * tokens; an infilling prompt loses suffix tokens from its end and prefix tokens from its start, so the sentinels and
 * the text next to the gap stay. The cut is deterministic, so baseline and decoder see the same ids.
 */
public final class Prompts {
    private Prompts() {}

    /** {@code count} tasks spread evenly over {@code tasks} (all of them when count >= size). */
    public static List<Task> spread(List<Task> tasks, int count) {
        if (count >= tasks.size()) {
            return tasks;
        }
        List<Task> picked = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            picked.add(tasks.get((int) ((long) i * tasks.size() / count)));
        }
        return picked;
    }

    /** The CI-default (or full) prompt list of the equivalence matrix for this model. */
    public static List<ReproPrompt> matrix(ReproModel model) {
        List<ReproPrompt> prompts = new ArrayList<>();
        int budget = budget(model, Matrix.maxNewTokens());
        for (Task task : spread(HumanEval.completionTasks(), Matrix.completionPrompts())) {
            prompts.add(of(model, task, budget));
        }
        if (model.tokenizer().specials().supportsInfilling()) {
            for (Task task : spread(HumanEval.infillingTasks(), Matrix.infillingPrompts())) {
                prompts.add(of(model, task, budget));
            }
        }
        return prompts;
    }

    /** Completion prompts of the speed gates (and of their mutation tests): the first of the matrix. */
    public static final int SPEED_PROMPTS = 8;
    /** New tokens per generation of the speed gates. */
    public static final int SPEED_NEW_TOKENS = 128;

    /** Completion prompts of the CI matrix, whose first {@link #SPEED_PROMPTS} the speed thresholds were measured on. */
    public static final int CI_COMPLETION_PROMPTS = 20;

    /**
     * The speed gates' prompts: the first {@link #SPEED_PROMPTS} completion prompts of the CI matrix (spread over 20,
     * room for 128 new tokens), in every profile: the speed thresholds were measured on these, so the full profile
     * and {@code -Dsdsat.completionPrompts} do not move them (in the CI profile they are the matrix's first).
     */
    public static List<ReproPrompt> speed(ReproModel model) {
        return completions(model, CI_COMPLETION_PROMPTS, SPEED_NEW_TOKENS).stream()
                .limit(SPEED_PROMPTS)
                .toList();
    }

    /** The first {@code count} completion prompts (spread) with room for {@code maxNewTokens}. */
    public static List<ReproPrompt> completions(ReproModel model, int count, int maxNewTokens) {
        int budget = budget(model, maxNewTokens);
        return spread(HumanEval.completionTasks(), count).stream()
                .map(task -> of(model, task, budget))
                .toList();
    }

    static int budget(ReproModel model, int maxNewTokens) {
        int budget = model.model().config().maxPositions() - maxNewTokens - Matrix.contextReserve();
        if (budget < 16) {
            throw new IllegalStateException("Model context "
                    + model.model().config().maxPositions()
                    + " leaves no room for a prompt with " + maxNewTokens + " new tokens: use a model with a longer "
                    + "context or fewer new tokens");
        }
        return budget;
    }

    public static ReproPrompt of(ReproModel model, Task task, int budget) {
        SdsatTokenizer tokenizer = model.tokenizer();
        SpecialTokens specials = tokenizer.specials();
        long bos = specials.bos();
        long eos = specials.eos();
        if (task.kind() == Task.Kind.COMPLETION) {
            long[] text = tokenizer.encode(task.prompt());
            boolean cut = text.length + 1 > budget;
            long[] kept = cut ? Arrays.copyOfRange(text, text.length - (budget - 1), text.length) : text;
            return new ReproPrompt(
                    task.dataset(), task.id(), FimFormat.concat(new long[] {bos}, kept), new long[] {eos}, cut);
        }
        long[] prefix = tokenizer.encode(task.prefix());
        long[] suffix = tokenizer.encode(task.suffix());
        boolean cut = false;
        while (prefix.length + suffix.length + 4 > budget) {
            cut = true;
            if (suffix.length >= prefix.length) {
                suffix = Arrays.copyOf(suffix, suffix.length - 1);
            } else {
                prefix = Arrays.copyOfRange(prefix, 1, prefix.length);
            }
        }
        long[] ids = FimFormat.of(specials).spmPrompt(prefix, suffix);
        long[] stops = specials.fimEndOfInfill().isPresent()
                ? new long[] {specials.fimEndOfInfill().getAsInt(), eos}
                : new long[] {eos};
        return new ReproPrompt(task.dataset(), task.id(), ids, stops, cut);
    }
}
