package io.github.sdsat.accuracy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import io.github.sdsat.train.DebianCorpus;
import io.github.sdsat.train.PythonCorpus;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Regenerates the bundled line-completion items ({@link LineCompletionItems#RESOURCE}) from the held-out packages of
 * the training corpus manifest ({@link DebianCorpus#MANIFEST_RESOURCE}, role {@code held-out}: whole packages the
 * embedded models never trained on). {@link DebianCorpus#assemble} downloads each .deb with {@code apt-get download},
 * checks its SHA-256 against the manifest and unpacks it; the file list is {@link PythonCorpus}'s (same exclusions).
 *
 * <p>Selection, deterministic for a seed: per package an equal share of the items; the package's files are shuffled
 * and visited round-robin, each visit taking one not yet chosen random candidate line of the file, so items spread
 * over as many files as the share allows. A candidate is a line of at most {@value #MAX_TARGET_CHARS} characters
 * that is neither blank nor only a comment nor part of a triple-quoted string, with at least {@value #MIN_CONTEXT_LINES} lines before it. Its context is
 * up to {@value #CONTEXT_LINES} preceding lines, leading lines dropped until BOS + context is at most
 * {@value #CONTEXT_TOKENS} tokens of the embedded tokenizer (the embedded models train on 256-token sequences, which
 * leaves room for the completion). Items are written interleaved over the packages, so any leading share is spread
 * too. The output folder also gets each package's Debian copyright file and the README.
 *
 * <p>Command line: {@code LineCompletionDatasetBuilder --cache DIR [--out DIR] [--items N] [--seed S]
 * [--check-training-copies]}; the last also fetches the training packages and refuses any held-out file with a
 * byte-identical copy among them. The default output folder is the source tree's {@code sdsat-runtime/src/main/resources/io/github/sdsat/data/line-completion}.
 */
public final class LineCompletionDatasetBuilder {
    public static final int DEFAULT_ITEMS = 360;
    public static final long DEFAULT_SEED = 25;
    static final int MAX_TARGET_CHARS = 120;
    static final int MIN_CONTEXT_LINES = 3;
    static final int CONTEXT_LINES = 40;
    static final int CONTEXT_TOKENS = 192;
    static final String ITEMS_FILE = "line-completion.jsonl.gz";

    private LineCompletionDatasetBuilder() {}

    public static void main(String[] args) {
        DjlOffline.enable(); // before the first engine call: no telemetry traffic
        Path cache = null;
        Path out = Path.of("sdsat-runtime/src/main/resources/io/github/sdsat/data/line-completion");
        int items = DEFAULT_ITEMS;
        long seed = DEFAULT_SEED;
        String usage = "usage: LineCompletionDatasetBuilder --cache DIR [--out DIR] [--items N] [--seed S]"
                + " [--check-training-copies]";
        boolean checkTrainingCopies = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--check-training-copies")) {
                checkTrainingCopies = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Missing value after " + args[i] + ": " + usage);
            }
            switch (args[i]) {
                case "--cache" -> cache = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--items" -> items = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("Unknown argument " + args[i] + ": " + usage);
            }
        }
        if (cache == null) {
            throw new IllegalArgumentException("Missing --cache DIR (the folder that keeps the downloaded and unpacked"
                    + " packages, as for DebianCorpus): " + usage);
        }
        if (items < 4) {
            throw new IllegalArgumentException("--items " + items + " is too small: give at least 4, e.g. 360");
        }
        List<DebianCorpus.Package> heldOut = DebianCorpus.shippedManifest().stream()
                .filter(DebianCorpus.Package::heldOut)
                .toList();
        PythonCorpus corpus = DebianCorpus.assemble(heldOut, cache, System.out);
        if (checkTrainingCopies) {
            requireNoTrainingCopies(corpus, cache);
        }
        try (SdsatTokenizer tokenizer = LoadedModel.openTokenizer(EmbeddedModels.resolve(EmbeddedModels.DEFAULT))) {
            build(heldOut, corpus, cache, tokenizer, items, seed, out, System.out);
        }
    }

    /**
     * Fetches the training packages too (hundreds of MB) and refuses any held-out file whose bytes equal a training
     * file's (a vendored copy would have been trained on).
     */
    static void requireNoTrainingCopies(PythonCorpus heldOut, Path cache) {
        List<DebianCorpus.Package> training = DebianCorpus.shippedManifest().stream()
                .filter(p -> !p.heldOut())
                .toList();
        java.util.Set<String> trainingHashes = new java.util.HashSet<>();
        PythonCorpus trainingCorpus = DebianCorpus.assemble(training, cache, System.out);
        for (PythonCorpus.SourceFile f : trainingCorpus.files()) {
            trainingHashes.add(sha256(trainingCorpus.read(f)));
        }
        List<String> copies = heldOut.files().stream()
                .filter(f -> trainingHashes.contains(sha256(heldOut.read(f))))
                .map(PythonCorpus.SourceFile::relativePath)
                .toList();
        if (!copies.isEmpty()) {
            throw new SdsatException("Held-out files with a byte-identical copy in a training package: " + copies);
        }
        System.out.printf(
                "[line-completion] no held-out file has a copy among the %d training files%n",
                trainingCorpus.files().size());
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** Selects the items and writes items, copyright files and README into {@code out}. */
    static List<LineCompletionItems.Item> build(
            List<DebianCorpus.Package> packages,
            PythonCorpus corpus,
            Path cache,
            SdsatTokenizer tokenizer,
            int items,
            long seed,
            Path out,
            PrintStream log) {
        List<List<LineCompletionItems.Item>> perPackage = new ArrayList<>();
        Map<String, int[]> filesAndItems = new LinkedHashMap<>();
        for (int p = 0; p < packages.size(); p++) {
            DebianCorpus.Package pkg = packages.get(p);
            if (!pkg.heldOut()) {
                throw new SdsatException("Package " + pkg.name() + " is not held out of training in the manifest: "
                        + "line-completion items must come from held-out packages only");
            }
            int share = items / packages.size() + (p < items % packages.size() ? 1 : 0);
            List<PythonCorpus.SourceFile> files = corpus.files().stream()
                    .filter(f -> f.relativePath().startsWith(pkg.name() + "/"))
                    .toList();
            for (PythonCorpus.SourceFile f : files) {
                if (!f.heldOut()) {
                    throw new SdsatException(f.relativePath() + " is not held out of training: refusing it");
                }
            }
            List<LineCompletionItems.Item> chosen =
                    select(pkg, files, corpus, tokenizer, share, new SplittableRandom(seed * 31 + p));
            if (chosen.size() < share) {
                throw new SdsatException("Package " + pkg.name() + " gave only " + chosen.size() + " of " + share
                        + " items: ask for fewer with --items");
            }
            perPackage.add(chosen);
            long distinctFiles = chosen.stream()
                    .map(LineCompletionItems.Item::path)
                    .distinct()
                    .count();
            filesAndItems.put(pkg.name(), new int[] {(int) distinctFiles, chosen.size(), files.size()});
            log.printf(
                    Locale.ROOT,
                    "[line-completion] %s %s: %d items from %d of %d files%n",
                    pkg.name(),
                    pkg.version(),
                    chosen.size(),
                    distinctFiles,
                    files.size());
        }
        List<LineCompletionItems.Item> all = new ArrayList<>();
        for (int i = 0; all.size() < items; i++) {
            for (List<LineCompletionItems.Item> chosen : perPackage) {
                if (i < chosen.size()) {
                    all.add(chosen.get(i));
                }
            }
        }
        LineCompletionDatasetFiles.write(out, all, packages, cache, filesAndItems, items, seed);
        return all;
    }

    private static List<LineCompletionItems.Item> select(
            DebianCorpus.Package pkg,
            List<PythonCorpus.SourceFile> files,
            PythonCorpus corpus,
            SdsatTokenizer tokenizer,
            int share,
            SplittableRandom random) {
        List<PythonCorpus.SourceFile> order = new ArrayList<>(files);
        shuffle(order, random);
        List<String[]> lines = new ArrayList<>();
        List<List<Integer>> candidates = new ArrayList<>();
        for (PythonCorpus.SourceFile f : order) {
            String[] fileLines = corpus.read(f).split("\n", -1);
            lines.add(fileLines);
            List<Integer> fileCandidates = new ArrayList<>();
            boolean[] inString = touchesTripleQuotedString(fileLines);
            for (int i = MIN_CONTEXT_LINES; i < fileLines.length; i++) {
                if (!inString[i] && isTarget(fileLines[i])) {
                    fileCandidates.add(i);
                }
            }
            shuffle(fileCandidates, random);
            candidates.add(fileCandidates);
        }
        List<LineCompletionItems.Item> chosen = new ArrayList<>();
        boolean progress = true;
        while (chosen.size() < share && progress) {
            progress = false;
            for (int f = 0; f < order.size() && chosen.size() < share; f++) {
                List<Integer> fileCandidates = candidates.get(f);
                while (!fileCandidates.isEmpty()) {
                    int index = fileCandidates.remove(fileCandidates.size() - 1);
                    LineCompletionItems.Item item = item(pkg, order.get(f), lines.get(f), index, tokenizer);
                    if (item != null) {
                        chosen.add(item);
                        progress = true;
                        break;
                    }
                }
            }
        }
        return chosen;
    }

    /** A line worth completing: not blank, not only a comment, not overlong, no carriage return. */
    static boolean isTarget(String line) {
        String stripped = line.strip();
        return !stripped.isEmpty()
                && !stripped.startsWith("#")
                && line.length() <= MAX_TARGET_CHARS
                && line.indexOf('\r') < 0;
    }

    /**
     * Per line: whether it lies in, opens or closes a triple-quoted string (docstrings, multi-line literals). Such
     * lines are prose, not code, and are left out as targets, like CodeXGLUE's Python data replaces string literals.
     * A plain scan for the delimiters, enough for these sources (a delimiter after {@code #} is not seen as one).
     */
    static boolean[] touchesTripleQuotedString(String[] lines) {
        boolean[] touched = new boolean[lines.length];
        String open = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            touched[i] = open != null;
            int at = 0;
            while (true) {
                if (open == null) {
                    int comment = line.indexOf('#', at);
                    int doubleQuotes = line.indexOf("\"\"\"", at);
                    int singleQuotes = line.indexOf("'''", at);
                    int first = doubleQuotes < 0
                            ? singleQuotes
                            : singleQuotes < 0 ? doubleQuotes : Math.min(doubleQuotes, singleQuotes);
                    if (first < 0 || (comment >= 0 && comment < first)) {
                        break;
                    }
                    open = line.startsWith("'''", first) ? "'''" : "\"\"\"";
                    touched[i] = true;
                    at = first + 3;
                } else {
                    int close = line.indexOf(open, at);
                    if (close < 0) {
                        break;
                    }
                    open = null;
                    at = close + 3;
                }
            }
        }
        return touched;
    }

    /** The item of line {@code index}, or null when too little context fits the token budget. */
    private static LineCompletionItems.Item item(
            DebianCorpus.Package pkg,
            PythonCorpus.SourceFile file,
            String[] lines,
            int index,
            SdsatTokenizer tokenizer) {
        int first = Math.max(0, index - CONTEXT_LINES);
        String context = context(lines, first, index);
        while (tokenizer.encodeWithBos(context).length > CONTEXT_TOKENS && index - first > MIN_CONTEXT_LINES) {
            context = context(lines, ++first, index);
        }
        if (tokenizer.encodeWithBos(context).length > CONTEXT_TOKENS) {
            return null;
        }
        String path = file.relativePath().substring(pkg.name().length() + 1);
        String target = lines[index].stripTrailing();
        return new LineCompletionItems.Item(
                pkg.name() + "/" + path + ":" + (index + 1), pkg.name(), path, index + 1, context, target);
    }

    private static String context(String[] lines, int from, int to) {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < to; i++) {
            text.append(lines[i]).append('\n');
        }
        return text.toString();
    }

    private static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
