package io.github.sdsat.accuracy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The bundled line-completion items: lines of held-out Debian packages (never trained on, see
 * {@code io/github/sdsat/data/line-completion/README.md}), each with the lines before it in its file. Written by
 * {@link LineCompletionDatasetBuilder}; items are stored in selection order, so any leading share is spread over the
 * packages and files.
 */
public final class LineCompletionItems {
    /** Classpath location of the bundled items. */
    public static final String RESOURCE = "/io/github/sdsat/data/line-completion/line-completion.jsonl.gz";

    /**
     * One completion point.
     *
     * @param id {@code package/path:line}, unique
     * @param pkg the Debian package the file comes from
     * @param path the file's path inside the package's Python folder
     * @param line the target's 1-based line number in the file
     * @param context the lines before the target, each ending with its newline (the prompt)
     * @param target the line to complete, without its newline
     */
    public record Item(
            String id,

            @com.fasterxml.jackson.annotation.JsonProperty("package")
            String pkg,

            String path,
            int line,
            String context,
            String target) {}

    private static volatile List<Item> cached;

    private LineCompletionItems() {}

    /** The bundled items in stored order; loaded once, unmodifiable. */
    public static List<Item> bundled() {
        List<Item> result = cached;
        if (result == null) {
            synchronized (LineCompletionItems.class) {
                result = cached;
                if (result == null) {
                    InputStream raw = LineCompletionItems.class.getResourceAsStream(RESOURCE);
                    if (raw == null) {
                        throw new SdsatException("Line-completion data " + RESOURCE + " is missing from the classpath;"
                                + " the sdsat-runtime jar is incomplete, rebuild it");
                    }
                    result = List.copyOf(read(raw, RESOURCE));
                    cached = result;
                }
            }
        }
        return result;
    }

    /** Parses gzip JSONL items and checks each one (unique ids, context ends with a newline, one-line target). */
    static List<Item> read(InputStream gzip, String source) {
        ObjectMapper mapper = new ObjectMapper();
        List<Item> items = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(new GZIPInputStream(gzip), StandardCharsets.UTF_8))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                Item item = mapper.readValue(line, Item.class);
                String where = source + " line " + number;
                if (item.id() == null || !ids.add(item.id())) {
                    throw new SdsatException(where + ": missing or repeated id " + item.id());
                }
                if (item.context() == null
                        || (!item.context().isEmpty() && !item.context().endsWith("\n"))) {
                    throw new SdsatException(where + " (" + item.id() + "): the context must end with a newline");
                }
                if (item.target() == null
                        || item.target().contains("\n")
                        || item.target().isBlank()) {
                    throw new SdsatException(where + " (" + item.id() + "): the target must be one non-blank line");
                }
                items.add(item);
            }
        } catch (IOException e) {
            throw new SdsatException("Cannot read the line-completion items " + source + ": " + e.getMessage(), e);
        }
        if (items.isEmpty()) {
            throw new SdsatException(source + " holds no line-completion items");
        }
        return items;
    }
}
