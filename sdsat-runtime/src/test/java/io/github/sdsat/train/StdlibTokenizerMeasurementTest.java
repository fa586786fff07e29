package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Trains the 4096-token tokenizer on the installed CPython stdlib and checks the round trip over every file.
 * Takes about a minute on 2 cores, so it runs only on request:
 * {@code mvn -B -o -pl sdsat-runtime test -Dtest=StdlibTokenizerMeasurementTest -Dsdsat.measureStdlib=true}.
 */
@EnabledIfSystemProperty(named = "sdsat.measureStdlib", matches = "true")
class StdlibTokenizerMeasurementTest {

    @Test
    void trainsOnTheStdlibAndRoundTripsEveryFile() {
        long t0 = System.nanoTime();
        PythonCorpus corpus = PythonCorpus.ofInstalledPython();
        double listSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "corpus %s: %d files (%d held out), %d bytes, %d too large, %d not UTF-8, sha256 %s,"
                        + " listed in %.1f s%n",
                corpus.root(),
                corpus.files().size(),
                corpus.heldOutFiles().size(),
                corpus.totalBytes(),
                corpus.skippedTooLarge(),
                corpus.skippedNotUtf8(),
                corpus.sha256(),
                listSeconds);

        long t1 = System.nanoTime();
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(4096));
        for (PythonCorpus.SourceFile file : corpus.trainingFiles()) {
            trainer.addText(corpus.read(file));
        }
        TrainedBpe bpe = trainer.train();
        double trainSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.printf(
                "trained vocab %d: %s; total %.1f s (read+count+merge)%n", bpe.vocabSize(), bpe.stats(), trainSeconds);
        Path folder = Path.of("target", "stdlib-tokenizer-4096");
        bpe.writeTo(folder);

        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            TokenizerRoundTrip.Report report = TokenizerRoundTrip.verifyRoundTrip(tok, corpus);
            System.out.printf(
                    "round trip: %d files, %d bytes, %d tokens, %.4f tokens/byte, %.1f s; files with "
                            + "special-token text: %s%n",
                    report.files(),
                    report.bytes(),
                    report.tokens(),
                    report.tokensPerByte(),
                    report.seconds(),
                    report.filesWithSpecials());
            assertThat(bpe.vocabSize()).isEqualTo(4096);
            assertThat(report.tokensPerByte()).isLessThan(0.5);
        }
    }
}
