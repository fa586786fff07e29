package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PythonCorpusTest {

    private static void write(Path root, String relative, byte[] bytes) throws Exception {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    private static Path sampleStdlib(Path root) throws Exception {
        write(root, "os.py", "import sys\nprint('héllo ✓')\n".getBytes(StandardCharsets.UTF_8));
        write(root, "json/decoder.py", "def f(x):\n\treturn x  # 日本\n".getBytes(StandardCharsets.UTF_8));
        write(root, "json/__init__.py", "from .decoder import f\n".getBytes(StandardCharsets.UTF_8));
        write(root, "test/test_os.py", "assert True\n".getBytes(StandardCharsets.UTF_8));
        write(root, "lib2to3/tests/data/bad.py", "x = 1\n".getBytes(StandardCharsets.UTF_8));
        write(root, "unittest/tests/test_case.py", "x = 1\n".getBytes(StandardCharsets.UTF_8));
        write(root, "site-packages/numpy/core.py", "x = 1\n".getBytes(StandardCharsets.UTF_8));
        write(root, "idlelib/editor.py", "x = 1\n".getBytes(StandardCharsets.UTF_8));
        write(root, "latin1.py", "s = 'caf\u00e9'\n".getBytes(StandardCharsets.ISO_8859_1));
        write(root, "big.py", ("x = 1\n".repeat(40_000)).getBytes(StandardCharsets.UTF_8));
        write(root, "README.txt", "not python\n".getBytes(StandardCharsets.UTF_8));
        return root;
    }

    @Test
    void listsSortedPythonFilesWithoutTestsThirdPartyLargeOrNonUtf8(@TempDir Path dir) throws Exception {
        PythonCorpus corpus = PythonCorpus.of(sampleStdlib(dir));
        assertThat(corpus.files())
                .extracting(PythonCorpus.SourceFile::relativePath)
                .containsExactly("json/__init__.py", "json/decoder.py", "os.py");
        assertThat(corpus.skippedTooLarge()).isEqualTo(1);
        assertThat(corpus.skippedNotUtf8()).isEqualTo(1);
        long expectedBytes = 0;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (PythonCorpus.SourceFile f : corpus.files()) {
            byte[] bytes = Files.readAllBytes(dir.resolve(f.relativePath()));
            expectedBytes += bytes.length;
            sha.update(f.relativePath().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(bytes);
        }
        assertThat(corpus.totalBytes()).isEqualTo(expectedBytes);
        assertThat(corpus.sha256()).isEqualTo(HexFormat.of().formatHex(sha.digest()));
    }

    @Test
    void hashChangesWithAnyByteOfAnyFile(@TempDir Path dir) throws Exception {
        String before = PythonCorpus.of(sampleStdlib(dir)).sha256();
        assertThat(PythonCorpus.of(dir).sha256()).isEqualTo(before);
        Files.writeString(dir.resolve("json/decoder.py"), "def f(x):\n\treturn x  # 日本 \n");
        assertThat(PythonCorpus.of(dir).sha256()).isNotEqualTo(before);
    }

    @Test
    void holdsOutAboutTwoPercentOfFilesByPath() {
        long heldOut = IntStream.range(0, 10_000)
                .filter(i -> PythonCorpus.isHeldOut("pkg" + (i % 37) + "/module_" + i + ".py"))
                .count();
        assertThat(heldOut).isBetween(120L, 280L);
        // The split is part of the shipped model's recipe: pin it on paths whose side is known (the four files the
        // accuracy gate ships as held-out text, and two training files), so a changed split fails here.
        assertThat(List.of("colorsys.py", "xml/sax/__init__.py", "importlib/abc.py", "asyncio/constants.py"))
                .as("held-out files of the shipped split")
                .allMatch(PythonCorpus::isHeldOut);
        assertThat(List.of("json/decoder.py", "os.py"))
                .as("training files of the shipped split")
                .noneMatch(PythonCorpus::isHeldOut);
    }

    @Test
    void missingFolderIsNamed(@TempDir Path dir) {
        Path nowhere = dir.resolve("no-stdlib");
        assertThatThrownBy(() -> PythonCorpus.of(nowhere))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(nowhere.toString());
        assertThatThrownBy(
                        () -> PythonCorpus.findStdlib(dir.resolve("no-python").toString()))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("no-python");
    }

    @Test
    void roundTripCheckPassesForByteLevelBpeAndNamesTheFileWhenTextIsAltered(@TempDir Path dir) throws Exception {
        PythonCorpus corpus = PythonCorpus.of(sampleStdlib(dir.resolve("lib")));
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(8 + 256 + 40));
        for (PythonCorpus.SourceFile f : corpus.trainingFiles()) {
            trainer.addText(corpus.read(f));
        }
        trainer.addText(SyntheticPython.source(5, 30));
        TrainedBpe bpe = trainer.train();
        Path good = dir.resolve("good");
        bpe.writeTo(good);
        try (SdsatTokenizer tok = SdsatTokenizer.load(good)) {
            TokenizerRoundTrip.Report report = TokenizerRoundTrip.verifyRoundTrip(tok, corpus);
            assertThat(report.files()).isEqualTo(3);
            assertThat(report.bytes()).isEqualTo(corpus.totalBytes());
            assertThat(report.tokens()).isPositive().isLessThan(report.bytes());
            assertThat(report.filesWithSpecials()).isEmpty();
        }
        // A lower-casing normalizer loses information: the check must catch it and name the file.
        ObjectNode json = bpe.tokenizerJson();
        json.putObject("normalizer").put("type", "Lowercase");
        Path lossy = dir.resolve("lossy");
        Files.createDirectories(lossy);
        new ObjectMapper().writeValue(lossy.resolve("tokenizer.json").toFile(), json);
        Files.writeString(dir.resolve("lib/os.py"), "import sys\nprint('HÉLLO')\n");
        PythonCorpus changed = PythonCorpus.of(dir.resolve("lib"));
        try (SdsatTokenizer tok = SdsatTokenizer.load(lossy)) {
            assertThatThrownBy(() -> TokenizerRoundTrip.verifyRoundTrip(tok, changed))
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining("os.py");
        }
    }

    @Test
    void reportsFilesWhoseTextSpellsASpecialToken(@TempDir Path dir) throws Exception {
        write(dir, "lib/html_doc.py", "DOC = '<s>strike</s>'\n".getBytes(StandardCharsets.UTF_8));
        PythonCorpus corpus = PythonCorpus.of(dir.resolve("lib"));
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(8 + 256 + 5));
        trainer.addText(SyntheticPython.source(5, 10));
        trainer.train().writeTo(dir.resolve("tok"));
        try (SdsatTokenizer tok = SdsatTokenizer.load(dir.resolve("tok"))) {
            assertThat(TokenizerRoundTrip.verifyRoundTrip(tok, corpus).filesWithSpecials())
                    .isEqualTo(List.of("html_doc.py"));
        }
    }
}
