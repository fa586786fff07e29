package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Python source files as the corpus of the embedded model: a fixed, sorted file list, a deterministic held-out
 * split, and a SHA-256 that identifies exactly what was read.
 *
 * <p>A corpus is one or more <em>roots</em>: a single folder (a CPython standard library, {@link #of(Path)}), or the
 * Python folders of several unpacked packages ({@link #of(List)}, see {@link DebianCorpus}), each named after its
 * package. A file is held out when its root is (whole packages kept out of training) or when the hash of its path
 * inside its root says so ({@link #isHeldOut}): a standard-library file is held out under the same rule whichever
 * corpus it sits in, so held-out losses stay comparable between corpora.
 *
 * <p>Left out: site-packages (third-party code), test and tests folders (lib2to3's included), idlelib, files over
 * {@value #MAX_FILE_BYTES} bytes (generated tables), files that are not valid UTF-8, and, in a corpus of several
 * roots, files whose bytes equal an earlier file's (vendored copies), so that no held-out file has a twin in
 * training.
 */
public final class PythonCorpus {

    public static final long MAX_FILE_BYTES = 200 * 1024;
    /** One file in this many (by hash of its relative path) is held out: about 2%. */
    public static final int HELD_OUT_MODULUS = 50;

    private static final Set<String> EXCLUDED_FOLDERS = Set.of("site-packages", "test", "tests", "idlelib");

    /**
     * @param relativePath path below the corpus root with '/' separators; prefixed by the root's name when the
     *     corpus has named roots
     * @param heldOut      true for files kept out of training, for evaluation
     */
    public record SourceFile(String relativePath, Path path, long bytes, boolean heldOut) {}

    /**
     * One folder of Python sources.
     *
     * @param name    the name its files are listed under (a package name; empty for a single-folder corpus)
     * @param folder  the folder
     * @param heldOut true when every file of this root is kept out of training
     */
    public record Root(String name, Path folder, boolean heldOut) {}

    private final Path root;
    private final List<SourceFile> files;
    private final int skippedTooLarge;
    private final int skippedNotUtf8;
    private final int skippedDuplicates;
    private final String sha256;

    private PythonCorpus(
            Path root,
            List<SourceFile> files,
            int skippedTooLarge,
            int skippedNotUtf8,
            int skippedDuplicates,
            String sha256) {
        this.root = root;
        this.files = List.copyOf(files);
        this.skippedTooLarge = skippedTooLarge;
        this.skippedNotUtf8 = skippedNotUtf8;
        this.skippedDuplicates = skippedDuplicates;
        this.sha256 = sha256;
    }

    /** The standard library of the {@code python3} on the PATH. */
    public static PythonCorpus ofInstalledPython() {
        return of(findStdlib("python3"));
    }

    /** Asks {@code pythonExecutable} where its standard library lives. */
    public static Path findStdlib(String pythonExecutable) {
        ProcessBuilder pb = new ProcessBuilder(
                        pythonExecutable, "-c", "import sysconfig;print(sysconfig.get_paths()['stdlib'])")
                .redirectErrorStream(true);
        String output;
        int exit;
        try {
            Process process = pb.start();
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new SdsatException(pythonExecutable + " did not answer within 60 s when asked for its "
                        + "stdlib folder: pass the folder of Python sources explicitly.");
            }
            exit = process.exitValue();
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot run " + pythonExecutable + " to find the Python standard library (" + e.getMessage()
                            + "): install Python 3 or pass the folder of Python sources explicitly.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while asking " + pythonExecutable + " for its stdlib folder.", e);
        }
        if (exit != 0 || output.isEmpty()) {
            throw new SdsatException(pythonExecutable + " failed (exit " + exit + ") to print its stdlib folder: "
                    + output + ". Pass the folder of Python sources explicitly.");
        }
        return Path.of(output);
    }

    /** The corpus under {@code folder}, with the exclusions above. */
    public static PythonCorpus of(Path folder) {
        return of(List.of(new Root("", folder, false)));
    }

    /** The corpus of several roots, listed in root order (the caller sorts them) and each root's files sorted. */
    public static PythonCorpus of(List<Root> roots) {
        if (roots.isEmpty()) {
            throw new SdsatException("A Python corpus needs at least one folder of sources.");
        }
        MessageDigest digest = sha256Digest();
        List<SourceFile> files = new ArrayList<>();
        java.util.Set<String> seenContent = new java.util.HashSet<>();
        int[] skipped = new int[3]; // too large, not UTF-8, duplicate
        for (Root r : roots) {
            if (!r.name().isEmpty() && !r.name().matches("[A-Za-z0-9][A-Za-z0-9.+_-]*")) {
                throw new SdsatException("Corpus root name '" + r.name() + "' is not a package name: use letters, "
                        + "digits and . + _ -");
            }
            listRoot(r, digest, files, roots.size() > 1 ? seenContent : null, skipped);
        }
        if (files.isEmpty()) {
            throw new SdsatException("No usable .py files under "
                    + roots.stream().map(r -> r.folder().toString()).toList() + ": pass the CPython stdlib folder.");
        }
        Path root = roots.size() == 1 ? roots.get(0).folder().toAbsolutePath().normalize() : commonParent(roots);
        return new PythonCorpus(
                root, files, skipped[0], skipped[1], skipped[2], HexFormat.of().formatHex(digest.digest()));
    }

    private static Path commonParent(List<Root> roots) {
        Path common = roots.get(0).folder().toAbsolutePath().normalize();
        for (Root r : roots) {
            Path p = r.folder().toAbsolutePath().normalize();
            while (common != null && !p.startsWith(common)) {
                common = common.getParent();
            }
        }
        return common == null ? Path.of("/") : common;
    }

    private static void listRoot(
            Root r, MessageDigest digest, List<SourceFile> files, java.util.Set<String> seen, int[] skipped) {
        Path folder = r.folder();
        if (!Files.isDirectory(folder)) {
            throw new SdsatException("Python source folder " + folder.toAbsolutePath() + " does not exist or is "
                    + "not a folder: pass the CPython stdlib folder (python3 -c \"import sysconfig;"
                    + "print(sysconfig.get_paths()['stdlib'])\").");
        }
        Path root = folder.toAbsolutePath().normalize();
        List<Path> candidates = new ArrayList<>();
        try {
            // Excluded folders are skipped whole: site-packages alone can hold hundreds of MB.
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(root)
                                    && EXCLUDED_FOLDERS.contains(
                                            dir.getFileName().toString())
                            ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && file.getFileName().toString().endsWith(".py")) {
                        candidates.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot list the Python files under " + root + " (" + e.getMessage()
                            + "): check the folder's permissions.",
                    e);
        }
        List<Object[]> sorted = new ArrayList<>();
        for (Path p : candidates) {
            sorted.add(new Object[] {relativeName(root.relativize(p)), p});
        }
        // Sorted by the '/'-separated name, so the order (and the hash) is the same on every platform.
        sorted.sort(Comparator.comparing(a -> (String) a[0]));
        for (Object[] entry : sorted) {
            String inRoot = (String) entry[0];
            String name = r.name().isEmpty() ? inRoot : r.name() + "/" + inRoot;
            Path path = (Path) entry[1];
            byte[] bytes;
            try {
                if (Files.size(path) > MAX_FILE_BYTES) {
                    skipped[0]++;
                    continue;
                }
                bytes = Files.readAllBytes(path);
            } catch (IOException e) {
                throw new SdsatException(
                        "Cannot read " + path + " (" + e.getMessage() + "): check its "
                                + "permissions or remove it from the corpus folder.",
                        e);
            }
            if (!isUtf8(bytes)) {
                skipped[1]++;
                continue;
            }
            if (seen != null
                    && !seen.add(HexFormat.of().formatHex(sha256Digest().digest(bytes)))) {
                skipped[2]++;
                continue;
            }
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(bytes);
            files.add(new SourceFile(name, path, bytes.length, r.heldOut() || isHeldOut(inRoot)));
        }
    }

    /** Deterministic split: the first 4 bytes of SHA-256(relative path), unsigned, modulo 50. */
    public static boolean isHeldOut(String relativePath) {
        byte[] h = sha256Digest().digest(relativePath.getBytes(StandardCharsets.UTF_8));
        long value = ((h[0] & 0xFFL) << 24) | ((h[1] & 0xFFL) << 16) | ((h[2] & 0xFFL) << 8) | (h[3] & 0xFFL);
        return value % HELD_OUT_MODULUS == 0;
    }

    public Path root() {
        return root;
    }

    /** All included files, sorted by relative path. */
    public List<SourceFile> files() {
        return files;
    }

    public List<SourceFile> trainingFiles() {
        return files.stream().filter(f -> !f.heldOut()).toList();
    }

    public List<SourceFile> heldOutFiles() {
        return files.stream().filter(SourceFile::heldOut).toList();
    }

    public long totalBytes() {
        return files.stream().mapToLong(SourceFile::bytes).sum();
    }

    public int skippedTooLarge() {
        return skippedTooLarge;
    }

    public int skippedNotUtf8() {
        return skippedNotUtf8;
    }

    /** Files left out because their bytes equal an earlier file's. */
    public int skippedDuplicates() {
        return skippedDuplicates;
    }

    /** Hex SHA-256 over, for each included file in order, its relative path, a NUL byte, and its bytes. */
    public String sha256() {
        return sha256;
    }

    /** The text of a file; it was checked to be UTF-8 when the corpus was listed. */
    public String read(SourceFile file) {
        try {
            return Files.readString(file.path(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot read corpus file " + file.path() + " (" + e.getMessage() + "): it "
                            + "changed since the corpus was listed; list the corpus again.",
                    e);
        }
    }

    private static String relativeName(Path relative) {
        List<String> parts = new ArrayList<>();
        relative.forEach(p -> parts.add(p.toString()));
        return String.join("/", parts);
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime provides SHA-256", e);
        }
    }
}
