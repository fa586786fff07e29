package io.github.sdsat.repro.support;

import java.util.Arrays;

/**
 * One prompt as fed to the decoders.
 *
 * @param dataset {@code humaneval} or {@code infilling}
 * @param taskId e.g. {@code HumanEval/12}
 * @param ids BOS + prompt tokens (for infilling the SPM layout); already cut to fit the context
 * @param stopTokenIds EOS, and for infilling also the end-of-infill token
 * @param truncated whether the prompt had to be cut to fit the model's context
 */
public record ReproPrompt(String dataset, String taskId, long[] ids, long[] stopTokenIds, boolean truncated) {
    public ReproPrompt {
        ids = ids.clone();
        stopTokenIds = stopTokenIds.clone();
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    @Override
    public long[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    /** {@code dataset/taskId}, the id used in messages and parameter lists. */
    public String id() {
        return dataset + "/" + taskId;
    }

    @Override
    public String toString() {
        return id() + " (" + ids.length + " tokens" + (truncated ? ", truncated" : "") + ", stops "
                + Arrays.toString(stopTokenIds) + ")";
    }
}
