package io.github.sdsat.accuracy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import io.github.sdsat.train.DebianCorpus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * The files {@link LineCompletionDatasetBuilder} writes: the items (gzip JSON lines, the same bytes for the same
 * items), each package's Debian copyright file, and the README that says where every line came from and how the
 * lines were selected.
 */
final class LineCompletionDatasetFiles {

    private LineCompletionDatasetFiles() {}

    static void write(
            Path out,
            List<LineCompletionItems.Item> items,
            List<DebianCorpus.Package> packages,
            Path cache,
            Map<String, int[]> filesAndItems,
            int requested,
            long seed) {
        ObjectMapper mapper = new ObjectMapper();
        try {
            Files.createDirectories(out);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            // GZIPOutputStream writes no time stamp (MTIME 0), so the same items give the same bytes.
            try (Writer writer = new OutputStreamWriter(new GZIPOutputStream(bytes), StandardCharsets.UTF_8)) {
                for (LineCompletionItems.Item item : items) {
                    writer.write(mapper.writeValueAsString(item));
                    writer.write('\n');
                }
            }
            AtomicFiles.write(out.resolve(LineCompletionDatasetBuilder.ITEMS_FILE), bytes.toByteArray());
            for (DebianCorpus.Package pkg : packages) {
                Path copyright = cache.resolve("unpacked")
                        .resolve(pkg.name())
                        .resolve("usr/share/doc")
                        .resolve(pkg.name())
                        .resolve("copyright");
                if (!Files.isRegularFile(copyright)) {
                    throw new SdsatException("Package " + pkg.name() + " has no usr/share/doc/" + pkg.name()
                            + "/copyright: its license cannot be shipped with its lines");
                }
                AtomicFiles.write(out.resolve("LICENSE-" + pkg.name()), Files.readAllBytes(copyright));
            }
            AtomicFiles.writeString(out.resolve("README.md"), readme(packages, filesAndItems, items.size(), seed));
        } catch (IOException e) {
            throw new SdsatException("Cannot write the line-completion items to " + out + ": " + e.getMessage(), e);
        }
    }

    private static String readme(
            List<DebianCorpus.Package> packages, Map<String, int[]> filesAndItems, int count, long seed) {
        StringBuilder table = new StringBuilder();
        for (DebianCorpus.Package pkg : packages) {
            int[] n = filesAndItems.get(pkg.name());
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | `%s` | %d | %d of %d | `LICENSE-%s` |%n",
                    pkg.name(),
                    pkg.version(),
                    pkg.license(),
                    pkg.sha256(),
                    n[1],
                    n[0],
                    n[2],
                    pkg.name()));
        }
        return "# Line-completion items (held-out Python)\n\n"
                + "`" + LineCompletionDatasetBuilder.ITEMS_FILE + "`: " + count
                + " line-completion points (gzip JSON lines: `id`, `package`, `path`,"
                + " `line`, `context`, `target`) for `LineCompletionStage`. Given `context` (the lines before line"
                + " `line` of `path`, each with its newline), a model writes the next line, compared with `target`.\n\n"
                + "## Where every line came from\n\n"
                + "Debian 12 \"bookworm\" packages, fetched with `apt-get download PACKAGE=VERSION`, their SHA-256 checked"
                + " against `io/github/sdsat/train/corpus-packages.tsv`, unpacked with `dpkg -x`. These are the packages"
                + " that manifest marks `held-out`: the embedded models' training corpus (`DebianCorpus`) keeps every"
                + " file of them out of training, so no file here was trained on. A vendored byte-identical copy in a"
                + " training package would have been: the builder's `--check-training-copies` fetches the training"
                + " packages and refuses such files (not run for this build; none of the training packages is known to"
                + " vendor these four, and python3-pip, which vendors requests, is not in the corpus). Each package's Python sources are under `usr/lib/python3/dist-packages`; `path` is relative"
                + " to it. The code keeps its own license: each package's Debian copyright file is shipped next to the"
                + " data as `LICENSE-PACKAGE`.\n\n"
                + "| package | version | license | .deb SHA-256 | items | files used (of files) | license file |\n"
                + "|---|---|---|---|---|---|---|\n"
                + table
                + "\n## How the lines were selected\n\n"
                + "`LineCompletionDatasetBuilder` (seed " + seed + "), deterministic: the files `PythonCorpus` lists"
                + " (tests folders and files over 200 KiB left out) of each package, an equal share of the items per"
                + " package; a package's files are shuffled and visited round-robin, each visit taking one random"
                + " candidate line not yet chosen, so the items spread over as many files as the share allows. A"
                + " candidate line has at most " + LineCompletionDatasetBuilder.MAX_TARGET_CHARS
                + " characters, is neither blank nor only a"
                + " comment nor part of a triple-quoted string (docstrings are prose, not code; CodeXGLUE's Python"
                + " data replaces string literals for the same reason), and has at least "
                + LineCompletionDatasetBuilder.MIN_CONTEXT_LINES
                + " lines before it. Its context is up to "
                + LineCompletionDatasetBuilder.CONTEXT_LINES
                + " preceding lines, leading lines dropped until BOS + context is at most "
                + LineCompletionDatasetBuilder.CONTEXT_TOKENS
                + " tokens of the embedded tokenizer (the embedded models train on 256-token"
                + " sequences). Trailing whitespace of the target is removed. Items are stored interleaved over the"
                + " packages, so a leading share (`LineCompletionConfig.itemFraction`) is spread too.\n\n"
                + "Regenerate (from the repository root, after `mvn -pl sdsat-runtime compile`):\n\n"
                + "```\nDJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -pl sdsat-runtime exec:java"
                + " -Dexec.mainClass=io.github.sdsat.accuracy.LineCompletionDatasetBuilder"
                + " -Dexec.args=\"--cache /tmp/sdsat-corpus --items " + count + " --seed " + seed + "\"\n```\n";
    }
}
