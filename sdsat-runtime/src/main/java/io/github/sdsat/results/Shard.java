package io.github.sdsat.results;

/**
 * One of {@code count} disjoint parts of a task list: the tasks at positions {@code index},
 * {@code index + count}, {@code index + 2 * count}, ... (0-based). Written {@code index/count}, e.g. {@code 0/4}.
 *
 * @param index 0-based shard number, {@code 0 <= index < count}
 * @param count number of shards, at least 1
 */
public record Shard(int index, int count) {

    public Shard {
        if (count < 1) {
            throw new IllegalArgumentException(
                    "Shard count " + count + " must be at least 1; write the shard as i/n with n >= 1, e.g. 0/4");
        }
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("Shard index " + index + " is outside 0.." + (count - 1)
                    + " for " + count + " shards; shard indices are 0-based, e.g. 0/" + count + " .. " + (count - 1)
                    + "/"
                    + count);
        }
    }

    /** The whole list as a single shard. */
    public static final Shard ALL = new Shard(0, 1);

    /**
     * Parses {@code "i/n"} (0-based {@code i}, e.g. {@code "2/4"} is the third of four shards).
     *
     * @throws IllegalArgumentException naming the text when it is not of that form or out of range
     */
    public static Shard parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("Shard is empty; write it as i/n, e.g. 0/4 (0-based i < n)");
        }
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        if (slash <= 0 || slash == trimmed.length() - 1 || trimmed.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException(
                    "Shard '" + text + "' is not of the form i/n; write it as e.g. 0/4 (0-based i < n)");
        }
        int index;
        int count;
        try {
            index = Integer.parseInt(trimmed.substring(0, slash).strip());
            count = Integer.parseInt(trimmed.substring(slash + 1).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Shard '" + text + "' is not of the form i/n with whole numbers; write it as e.g. 0/4", e);
        }
        return new Shard(index, count);
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
