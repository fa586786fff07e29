package io.github.sdsat.train;

import java.util.List;
import java.util.Random;

/** Deterministic Python-like text for tokenizer tests (java.util.Random's sequence is fixed by its spec). */
public final class SyntheticPython {
    private static final List<String> NAMES = List.of(
            "value", "other", "result", "items", "index", "count", "buffer", "name", "path", "self", "data", "key",
            "line", "text", "node", "parent", "child", "total", "config", "options", "token", "width", "height",
            "offset", "length", "stream", "reader", "writer");
    private static final List<String> CALLS = List.of(
            "len",
            "range",
            "print",
            "isinstance",
            "sorted",
            "append",
            "join",
            "split",
            "strip",
            "format",
            "encode",
            "decode",
            "get",
            "update",
            "items",
            "keys");
    private static final List<String> WORDS = List.of(
            "Return", "the", "number", "of", "items", "in", "this", "list", "and", "raise", "an", "error", "if", "it",
            "is", "empty", "héllo", "wörld", "naïve", "café", "日本", "✓", "données", "größe");

    private SyntheticPython() {}

    public static String source(long seed, int functions) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int f = 0; f < functions; f++) {
            String a = pick(random, NAMES);
            String b = pick(random, NAMES);
            sb.append("def ")
                    .append(pick(random, CALLS))
                    .append('_')
                    .append(a)
                    .append('_')
                    .append(f)
                    .append("(")
                    .append(a)
                    .append(", ")
                    .append(b)
                    .append("=")
                    .append(random.nextInt(1000))
                    .append("):\n");
            sb.append("    \"\"\"");
            int words = 4 + random.nextInt(8);
            for (int w = 0; w < words; w++) {
                sb.append(w == 0 ? "" : " ").append(pick(random, WORDS));
            }
            sb.append(".\"\"\"\n");
            sb.append("    if ")
                    .append(pick(random, CALLS))
                    .append("(")
                    .append(a)
                    .append(") > ")
                    .append(b)
                    .append(":\n");
            sb.append("        return [")
                    .append(a)
                    .append(" for ")
                    .append(a)
                    .append(" in range(")
                    .append(b)
                    .append(")]\n");
            sb.append("    ")
                    .append(b)
                    .append(" = {'")
                    .append(pick(random, NAMES))
                    .append("': ")
                    .append(random.nextInt(100))
                    .append(", \"")
                    .append(pick(random, NAMES))
                    .append("\": None}\n");
            sb.append("    return ")
                    .append(a)
                    .append(".")
                    .append(pick(random, CALLS))
                    .append("(")
                    .append(b)
                    .append(")  # ")
                    .append(pick(random, WORDS))
                    .append("\n\n");
        }
        return sb.toString();
    }

    private static String pick(Random random, List<String> list) {
        return list.get(random.nextInt(list.size()));
    }
}
