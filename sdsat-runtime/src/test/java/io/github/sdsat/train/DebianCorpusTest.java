package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian-package corpus: manifest checks, checksum pinning, unpacking with {@code dpkg -x} (on real .deb files
 * built here with {@code dpkg-deb}, so no network is needed), and the multi-root listing rules (package-named files,
 * whole held-out packages, the standard library's per-path held-out rule kept, byte-identical copies dropped).
 */
class DebianCorpusTest {

    private static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Builds {@code name_version_all.deb} whose Python folder holds {@code files} (relative path → text). */
    private static Path buildDeb(Path work, String name, String version, String pythonFolder, String... files)
            throws Exception {
        Path tree = work.resolve("tree-" + name);
        write(
                tree.resolve("DEBIAN/control"),
                "Package: " + name + "\nVersion: " + version + "\nArchitecture: all\n"
                        + "Maintainer: test <test@example.org>\nDescription: test package\n");
        for (int i = 0; i < files.length; i += 2) {
            write(tree.resolve(pythonFolder).resolve(files[i]), files[i + 1]);
        }
        Path deb = work.resolve(name + ".deb");
        Process p = new ProcessBuilder("dpkg-deb", "--root-owner-group", "--build", tree.toString(), deb.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("dpkg-deb: %s", out).isZero();
        return deb;
    }

    private static String line(String name, String version, Path deb, String folder, String role) {
        return String.join("\t", name, version, DebianCorpus.sha256(deb), "MIT", folder, role);
    }

    @Test
    void assemblesVerifiedPackagesIntoANamedCorpusWithHeldOutPackagesAndNoDuplicates(@TempDir Path dir)
            throws Exception {
        String shared = "def vendored():\n    return 1\n";
        Path stdlib = buildDeb(
                dir,
                "libpython-test",
                "1.0-1",
                "usr/lib/python3.11",
                "json/decoder.py",
                "x = 1\n",
                "os.py",
                "import sys\n",
                "test/test_os.py",
                "assert True\n");
        Path lib = buildDeb(
                dir,
                "python3-alpha",
                "2:1.0-1",
                "usr/lib/python3/dist-packages",
                "alpha/core.py",
                "def core():\n    pass\n",
                "alpha/_vendor/six.py",
                shared);
        Path other = buildDeb(
                dir,
                "python3-beta",
                "0.1-1",
                "usr/lib/python3/dist-packages",
                "beta/six.py",
                shared,
                "beta/main.py",
                "print('beta')\n");
        Path cache = dir.resolve("cache");
        Files.createDirectories(cache.resolve("debs"));
        // pre-seeded downloads stand in for apt-get (the cache is what a second run finds)
        Files.copy(stdlib, cache.resolve("debs/libpython-test_1.0-1.deb"));
        Files.copy(lib, cache.resolve("debs/python3-alpha_2%1.0-1.deb"));
        Files.copy(other, cache.resolve("debs/python3-beta_0.1-1.deb"));
        List<DebianCorpus.Package> packages = DebianCorpus.parseManifest(
                String.join(
                        "\n",
                        "# comment",
                        line("libpython-test", "1.0-1", stdlib, "usr/lib/python3.11", "train"),
                        line("python3-alpha", "2:1.0-1", lib, "usr/lib/python3/dist-packages", "train"),
                        line("python3-beta", "0.1-1", other, "usr/lib/python3/dist-packages", "held-out")),
                "manifest");

        PythonCorpus corpus = DebianCorpus.assemble(
                packages, cache, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));

        assertThat(corpus.files())
                .extracting(PythonCorpus.SourceFile::relativePath)
                .containsExactly(
                        "libpython-test/json/decoder.py",
                        "libpython-test/os.py",
                        "python3-alpha/alpha/_vendor/six.py",
                        "python3-alpha/alpha/core.py",
                        "python3-beta/beta/main.py");
        assertThat(corpus.skippedDuplicates()).as("beta's copy of six.py").isEqualTo(1);
        for (PythonCorpus.SourceFile f : corpus.files()) {
            String inRoot = f.relativePath().substring(f.relativePath().indexOf('/') + 1);
            boolean expected = f.relativePath().startsWith("python3-beta/") || PythonCorpus.isHeldOut(inRoot);
            assertThat(f.heldOut()).as(f.relativePath()).isEqualTo(expected);
        }
        // json/decoder.py keeps the standard library's own decision (the hash of the path inside its root)
        assertThat(corpus.files().get(0).heldOut()).isEqualTo(PythonCorpus.isHeldOut("json/decoder.py"));
        String sha = corpus.sha256();
        // a second run reuses the unpacked folders and lists the same corpus
        assertThat(DebianCorpus.assemble(
                                packages, cache, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                        .sha256())
                .isEqualTo(sha);
    }

    @Test
    void aChangedPackageStopsTheBuildNamingIt(@TempDir Path dir) throws Exception {
        Path deb = buildDeb(dir, "python3-alpha", "1.0", "usr/lib/python3/dist-packages", "a.py", "x = 1\n");
        Path cache = dir.resolve("cache");
        Files.createDirectories(cache.resolve("debs"));
        Files.copy(deb, cache.resolve("debs/python3-alpha_1.0.deb"));
        String pinned = "0".repeat(64);
        List<DebianCorpus.Package> packages = DebianCorpus.parseManifest(
                String.join("\t", "python3-alpha", "1.0", pinned, "MIT", "usr/lib/python3/dist-packages", "train"),
                "manifest");
        assertThatThrownBy(() -> DebianCorpus.assemble(packages, cache, System.out))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("python3-alpha 1.0 has SHA-256 " + DebianCorpus.sha256(deb))
                .hasMessageContaining("the manifest pins " + pinned);
        assertThat(cache.resolve("unpacked/python3-alpha")).doesNotExist();
    }

    @Test
    void aPackageTheArchiveDoesNotServeIsNamed(@TempDir Path dir) {
        // apt-get is asked for a version no archive has; the message names the package and what to do
        List<DebianCorpus.Package> packages = DebianCorpus.parseManifest(
                String.join("\t", "python3-no-such-package-sdsat", "0.0.0-0", "0".repeat(64), "MIT", "usr", "train"),
                "manifest");
        assertThatThrownBy(() -> DebianCorpus.assemble(packages, dir, System.out))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("download python3-no-such-package-sdsat 0.0.0-0");
    }

    @Test
    void malformedManifestLinesAreRefusedWithTheirLineNumber() {
        String ok = String.join("\t", "python3-a", "1.0", "a".repeat(64), "MIT", "usr/lib", "train");
        assertThatThrownBy(() -> DebianCorpus.parseManifest("# c\n" + ok + "\npython3-b\t1.0\n", "m.tsv"))
                .hasMessageContaining("m.tsv line 3 has 2 tab-separated fields");
        assertThatThrownBy(() -> DebianCorpus.parseManifest(ok.replace("a".repeat(64), "xyz"), "m.tsv"))
                .hasMessageContaining("SHA-256 of python3-a");
        assertThatThrownBy(() -> DebianCorpus.parseManifest(ok.replace("usr/lib", "/usr/lib"), "m.tsv"))
                .hasMessageContaining("relative path");
        assertThatThrownBy(() -> DebianCorpus.parseManifest(ok.replace("train", "maybe"), "m.tsv"))
                .hasMessageContaining("train or held-out");
        assertThatThrownBy(() -> DebianCorpus.parseManifest(ok + "\n" + ok, "m.tsv"))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> DebianCorpus.parseManifest("# only comments\n", "m.tsv"))
                .hasMessageContaining("lists no packages");
    }

    @Test
    void theShippedManifestPinsEveryPackageWithALicenseAndHoldsOutWholePackages() {
        List<DebianCorpus.Package> packages = DebianCorpus.shippedManifest();
        assertThat(packages).hasSizeGreaterThanOrEqualTo(40);
        assertThat(packages)
                .extracting(DebianCorpus.Package::name)
                .contains("libpython3.11-stdlib", "libpython3.11-minimal");
        assertThat(packages)
                .allSatisfy(p -> assertThat(p.license()).isNotBlank().doesNotContain("GPL"));
        assertThat(packages.stream().filter(DebianCorpus.Package::heldOut).count())
                .isBetween(1L, 8L);
    }
}
