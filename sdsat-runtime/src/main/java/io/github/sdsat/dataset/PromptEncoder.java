package io.github.sdsat.dataset;

import io.github.sdsat.SdsatException;
import io.github.sdsat.tokenizer.FimFormat;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import io.github.sdsat.tokenizer.SpecialTokens;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns benchmark tasks into model input ids and stop tokens.
 *
 * <ul>
 *   <li>Completion: {@code <s>} + the prompt's tokens; generation stops at EOS.
 *   <li>Infilling, SPM order as CodeLlama and santacoder-fim-task use it ({@link FimFormat#spmPrompt}, the layout
 *       the embedded model was trained on): {@code <s> <PRE> <SUF> suffix <MID> prefix}. The model
 *       writes the middle and ends it with {@code <EOT>}; generation stops at {@code <EOT>} or EOS.
 * </ul>
 */
public final class PromptEncoder {
    private final SdsatTokenizer tokenizer;
    private final SpecialTokens specials;
    private final long[] eosIds;

    /**
     * @param configEosIds the model config's {@code eos_token_id}s, stop tokens besides the tokenizer's EOS
     */
    public PromptEncoder(SdsatTokenizer tokenizer, List<Integer> configEosIds) {
        this.tokenizer = tokenizer;
        this.specials = tokenizer.specials();
        Set<Long> eos = new LinkedHashSet<>();
        eos.add((long) specials.eos());
        configEosIds.forEach(id -> eos.add((long) id));
        this.eosIds = eos.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Checks that every task can be encoded with this tokenizer (infilling needs the FIM sentinels).
     *
     * @throws SdsatException naming the dataset when the tokenizer has no infilling tokens
     */
    public void checkSupports(List<Task> tasks) {
        for (Task task : tasks) {
            if (task.kind() == Task.Kind.INFILL && !specials.supportsInfilling()) {
                throw new SdsatException("Dataset " + task.dataset() + " holds infilling tasks, but "
                        + tokenizer.folder() + "/tokenizer.json has no fill-in-the-middle tokens (<PRE>, <SUF>, "
                        + "<MID>): drop the dataset from sdsat.datasets or use a model trained for infilling");
            }
        }
    }

    /** Input ids of a task, BOS first. */
    public long[] encode(Task task) {
        if (task.kind() == Task.Kind.COMPLETION) {
            return tokenizer.encodeWithBos(task.prompt());
        }
        checkSupports(List.of(task));
        return FimFormat.of(specials).spmPrompt(tokenizer.encode(task.prefix()), tokenizer.encode(task.suffix()));
    }

    /** Tokens that end generation for a task: EOS, and for infilling also {@code <EOT>}. */
    public long[] stopTokens(Task task) {
        if (task.kind() == Task.Kind.INFILL && specials.fimEndOfInfill().isPresent()) {
            long[] stops = java.util.Arrays.copyOf(eosIds, eosIds.length + 1);
            stops[eosIds.length] = specials.fimEndOfInfill().getAsInt();
            return stops;
        }
        return eosIds.clone();
    }
}
