package io.github.sdsat.dataset;

import java.util.Objects;

/**
 * One benchmark prompt.
 *
 * <p>A {@link Kind#COMPLETION} task carries a {@code prompt} that the model continues; {@code prefix},
 * {@code suffix} and {@code middle} are null. A {@link Kind#INFILL} task carries the {@code prefix} and
 * {@code suffix} around a gap and, where known, the reference {@code middle} that fills it; {@code prompt} is
 * null. How an infill task becomes model input (the order of sentinels and text) is described by
 * {@link io.github.sdsat.tokenizer.FimFormat}.
 *
 * @param id task identifier, unique within its dataset (e.g. {@code HumanEval/0})
 * @param dataset {@code humaneval}, {@code infilling}, or the name of a custom dataset file
 * @param kind completion or infill
 * @param prompt text to continue (completion only)
 * @param prefix text before the gap (infill only, may be empty)
 * @param suffix text after the gap (infill only, may be empty)
 * @param middle reference text of the gap (infill only, null when the dataset has none)
 */
public record Task(String id, String dataset, Kind kind, String prompt, String prefix, String suffix, String middle) {

    /** Whether the model continues a prompt or fills a gap between a prefix and a suffix. */
    public enum Kind {
        COMPLETION,
        INFILL
    }

    public Task {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("Task id is missing or blank; every task needs a non-blank id");
        }
        if (dataset == null || dataset.isBlank()) {
            throw new IllegalArgumentException("Task " + id + " has no dataset name; give the dataset it belongs to");
        }
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.COMPLETION) {
            if (prompt == null || prompt.isEmpty()) {
                throw new IllegalArgumentException("Completion task " + id + " of dataset " + dataset
                        + " has an empty prompt; give a non-empty prompt");
            }
            if (prefix != null || suffix != null || middle != null) {
                throw new IllegalArgumentException("Completion task " + id + " of dataset " + dataset
                        + " must not carry prefix/suffix/middle;" + " use an infill task for those");
            }
        } else {
            if (prefix == null || suffix == null) {
                throw new IllegalArgumentException("Infill task " + id + " of dataset " + dataset
                        + " needs both prefix and suffix (either may be empty)");
            }
            if (prefix.isEmpty() && suffix.isEmpty()) {
                throw new IllegalArgumentException("Infill task " + id + " of dataset " + dataset
                        + " has an empty prefix and an empty suffix;" + " give at least one of them some text");
            }
            if (prompt != null) {
                throw new IllegalArgumentException("Infill task " + id + " of dataset " + dataset
                        + " must not carry a prompt; use prefix and suffix");
            }
        }
    }

    /** A completion task. */
    public static Task completion(String id, String dataset, String prompt) {
        return new Task(id, dataset, Kind.COMPLETION, prompt, null, null, null);
    }

    /** An infill task; {@code middle} may be null when no reference is known. */
    public static Task infill(String id, String dataset, String prefix, String suffix, String middle) {
        return new Task(id, dataset, Kind.INFILL, null, prefix, suffix, middle);
    }
}
