package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The embedded model's corpus assembled from pinned Debian packages: the CPython standard library and permissively
 * licensed Python projects, listed with version, .deb SHA-256 and license in a manifest ({@value #MANIFEST_RESOURCE}
 * by default). Each package is fetched with {@code apt-get download PACKAGE=VERSION}, its checksum verified, and
 * unpacked with {@code dpkg -x} into a cache folder; nothing is installed, and a second run reuses the cache.
 *
 * <p>Cache layout: {@code debs/PACKAGE_VERSION.deb}, {@code unpacked/PACKAGE/} (with a {@code .sdsat-sha256} marker
 * written last, so an interrupted unpack is redone). The corpus roots are named by package (never by a path of the
 * machine that built them); whole packages marked {@code held-out} are kept out of training.
 *
 * <p>Command line: {@code DebianCorpus --cache DIR [--manifest FILE]} prints the corpus summary and its SHA-256.
 */
public final class DebianCorpus {
    /** The shipped manifest, a class-path resource. */
    public static final String MANIFEST_RESOURCE = "/io/github/sdsat/train/corpus-packages.tsv";

    /** One manifest line. */
    public record Package(
            String name, String version, String sha256, String license, String pythonFolder, boolean heldOut) {
        /** The file name the cache keeps the .deb under (the version's ':' epoch separator made safe). */
        String debFileName() {
            return name + "_" + version.replace(':', '%') + ".deb";
        }
    }

    private DebianCorpus() {}

    public static void main(String[] args) {
        Path cache = null;
        Path manifest = null;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(
                        "Missing value after " + args[i] + ": usage DebianCorpus --cache DIR [--manifest FILE]");
            }
            switch (args[i]) {
                case "--cache" -> cache = Path.of(args[++i]);
                case "--manifest" -> manifest = Path.of(args[++i]);
                default ->
                    throw new IllegalArgumentException(
                            "Unknown argument " + args[i] + ": usage DebianCorpus --cache DIR [--manifest FILE]");
            }
        }
        if (cache == null) {
            throw new IllegalArgumentException(
                    "Missing --cache DIR: the folder that keeps the downloaded and " + "unpacked packages");
        }
        List<Package> packages = manifest == null ? shippedManifest() : readManifest(manifest);
        PythonCorpus corpus = assemble(packages, cache, System.out);
        System.out.printf(
                "corpus: %d packages, %d files (%d training, %d held-out), %.1f MB, sha256 %s; skipped %d "
                        + "too large, %d not UTF-8, %d duplicates%n",
                packages.size(),
                corpus.files().size(),
                corpus.trainingFiles().size(),
                corpus.heldOutFiles().size(),
                corpus.totalBytes() / 1e6,
                corpus.sha256(),
                corpus.skippedTooLarge(),
                corpus.skippedNotUtf8(),
                corpus.skippedDuplicates());
    }

    /** The manifest shipped with the runtime. */
    public static List<Package> shippedManifest() {
        try (InputStream in = DebianCorpus.class.getResourceAsStream(MANIFEST_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("The runtime jar lacks " + MANIFEST_RESOURCE);
            }
            return parseManifest(new String(in.readAllBytes(), StandardCharsets.UTF_8), MANIFEST_RESOURCE);
        } catch (IOException e) {
            throw new SdsatException("Cannot read " + MANIFEST_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    public static List<Package> readManifest(Path file) {
        try {
            return parseManifest(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot read the corpus manifest " + file.toAbsolutePath() + " (" + e.getMessage()
                            + "): pass an existing file or leave --manifest out for the shipped one.",
                    e);
        }
    }

    /** Parses the tab-separated manifest; {@code #} lines are comments. */
    static List<Package> parseManifest(String text, String source) {
        List<Package> out = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = lines[i].split("\t", -1);
            String where = source + " line " + (i + 1);
            if (f.length != 6) {
                throw new SdsatException(where + " has " + f.length + " tab-separated fields; expected 6: package, "
                        + "version, sha256, license, python folder, role");
            }
            if (!f[0].matches("[a-z0-9][a-z0-9.+-]+") || !f[1].matches("[A-Za-z0-9.+:~-]+")) {
                throw new SdsatException(
                        where + ": '" + f[0] + "' = '" + f[1] + "' is not a Debian package name " + "and version");
            }
            if (!f[2].matches("[0-9a-f]{64}")) {
                throw new SdsatException(where + ": the SHA-256 of " + f[0] + " must be 64 lower-case hex digits");
            }
            if (f[4].startsWith("/") || f[4].contains("..")) {
                throw new SdsatException(where + ": the python folder of " + f[0] + " must be a relative path "
                        + "inside the package, got " + f[4]);
            }
            if (!f[5].equals("train") && !f[5].equals("held-out")) {
                throw new SdsatException(where + ": role of " + f[0] + " must be train or held-out, got " + f[5]);
            }
            if (!names.add(f[0])) {
                throw new SdsatException(where + ": package " + f[0] + " is listed twice");
            }
            out.add(new Package(f[0], f[1], f[2], f[3], f[4], f[5].equals("held-out")));
        }
        if (out.isEmpty()) {
            throw new SdsatException(source + " lists no packages");
        }
        return out;
    }

    /**
     * Fetches (unless cached), verifies and unpacks every package, then lists the corpus: roots in manifest order,
     * each named by its package.
     */
    public static PythonCorpus assemble(List<Package> packages, Path cache, java.io.PrintStream log) {
        Path debs = cache.resolve("debs");
        Path unpacked = cache.resolve("unpacked");
        try {
            Files.createDirectories(debs);
            Files.createDirectories(unpacked);
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot create the corpus cache " + cache.toAbsolutePath() + " (" + e.getMessage()
                            + "): pass a writable folder.",
                    e);
        }
        List<PythonCorpus.Root> roots = new ArrayList<>();
        for (Package p : packages) {
            Path folder = unpacked.resolve(p.name());
            Path marker = folder.resolve(".sdsat-sha256");
            if (!isMarked(marker, p.sha256())) {
                Path deb = fetch(p, debs, log);
                TrainFiles.deleteRecursively(folder);
                run(
                        List.of("dpkg", "-x", deb.toString(), folder.toString()),
                        cache,
                        "unpack " + p.name() + " (dpkg -x)",
                        "dpkg is part of every Debian or Ubuntu system; on another system unpack "
                                + "the .deb files by hand into " + unpacked);
                TrainFiles.writeText(marker, p.sha256());
            }
            Path python = folder.resolve(p.pythonFolder());
            if (!Files.isDirectory(python)) {
                throw new SdsatException("Package " + p.name() + " " + p.version() + " has no folder "
                        + p.pythonFolder() + ": fix its python folder in the manifest");
            }
            roots.add(new PythonCorpus.Root(p.name(), python, p.heldOut()));
        }
        return PythonCorpus.of(roots);
    }

    private static boolean isMarked(Path marker, String sha256) {
        try {
            return Files.isRegularFile(marker)
                    && Files.readString(marker).strip().equals(sha256);
        } catch (IOException e) {
            return false;
        }
    }

    /** The verified .deb of {@code p} in {@code debs}, downloaded if it is not there. */
    private static Path fetch(Package p, Path debs, java.io.PrintStream log) {
        Path deb = debs.resolve(p.debFileName());
        if (!Files.isRegularFile(deb)) {
            Path scratch = debs.resolve(".download-" + p.name());
            TrainFiles.deleteRecursively(scratch);
            try {
                Files.createDirectories(scratch);
                log.printf("[corpus] apt-get download %s=%s%n", p.name(), p.version());
                run(
                        List.of("apt-get", "download", p.name() + "=" + p.version()),
                        scratch,
                        "download " + p.name() + " " + p.version(),
                        "the version may have left the archive: pin one that " + "`apt-cache policy " + p.name()
                                + "` lists and update its SHA-256 in the manifest");
                List<Path> got;
                try (var s = Files.list(scratch)) {
                    got = s.filter(f -> f.getFileName().toString().endsWith(".deb"))
                            .toList();
                }
                if (got.size() != 1) {
                    throw new SdsatException("apt-get download " + p.name() + "=" + p.version() + " left " + got.size()
                            + " .deb files in " + scratch + "; expected 1");
                }
                Files.move(got.get(0), deb, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new SdsatException(
                        "Cannot store the download of " + p.name() + " in " + debs + " (" + e.getMessage() + ")", e);
            } finally {
                TrainFiles.deleteRecursively(scratch);
            }
        }
        String actual = sha256(deb);
        if (!actual.equals(p.sha256())) {
            throw new SdsatException("Package " + p.name() + " " + p.version() + " has SHA-256 " + actual
                    + ", but the manifest pins " + p.sha256() + ": the archive serves different bytes under that "
                    + "version. Delete " + deb + " to download it again; if it still differs, review the package "
                    + "and update the manifest.");
        }
        return deb;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                d.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new SdsatException("Cannot hash " + file + ": " + e.getMessage(), e);
        }
    }

    private static void run(List<String> command, Path workingFolder, String what, String hint) {
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(workingFolder.toFile()).redirectErrorStream(true);
        try {
            Process process = pb.start();
            String output;
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new SdsatException("Could not " + what + " within 10 minutes: " + hint);
            }
            if (process.exitValue() != 0) {
                throw new SdsatException("Could not " + what + " (exit " + process.exitValue() + "): "
                        + output.lines().reduce((a, b) -> b).orElse("") + ". " + hint);
            }
        } catch (IOException e) {
            throw new SdsatException(
                    "Could not " + what + ": cannot run " + command.get(0) + " (" + e.getMessage() + "). " + hint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while trying to " + what, e);
        }
    }
}
