package io.github.sdsat.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.github.sdsat.SdsatException;
import io.github.sdsat.train.BpeTokenizerTrainer;
import io.github.sdsat.train.SyntheticPython;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdsatTokenizerTest {

    private static final int VOCAB = 8 + 256 + 300;

    @TempDir
    static Path shared;

    static Path folder;

    @BeforeAll
    static void trainSmallTokenizer() {
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(VOCAB));
        trainer.addText(SyntheticPython.source(1, 400));
        folder = shared.resolve("tok");
        trainer.train().writeTo(folder);
    }

    @Test
    void roundTripsNonAsciiWhitespaceAndPunctuationExactly() {
        List<String> texts = List.of(
                "héllo wörld ✓ 日本",
                "emoji 🙂 and combining e\u0301 and NBSP\u00a0here and em\u2003space",
                "\tdef f(x):\n\t\treturn x\r\n\r\n",
                "a          b               \n\n\n      \t  \n",
                "x , y . z ! it 's don 't", // DJL's clean-up would eat these spaces if it were on
                "",
                " leading space",
                "trailing spaces   ");
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            for (String text : texts) {
                assertThat(tok.decode(tok.encode(text)))
                        .as("round trip of %s", text)
                        .isEqualTo(text);
            }
        }
    }

    @Test
    void encodesLongTextWholeWithoutTruncation() {
        String text = SyntheticPython.source(99, 200);
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            long[] ids = tok.encode(text);
            assertThat(ids.length).isGreaterThan(2048);
            assertThat(tok.decode(ids)).isEqualTo(text);
        }
    }

    /** encode() calls the native encoder directly; it must give what DJL's own Encoding gives. */
    @Test
    void encodeMatchesDjlEncoding() throws Exception {
        List<String> texts = List.of("héllo wörld ✓ 日本", "x = 1<sat>y  </s>", SyntheticPython.source(5, 20), "");
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder);
                HuggingFaceTokenizer djl = HuggingFaceTokenizer.builder()
                        .optTokenizerPath(folder.resolve("tokenizer.json"))
                        .optAddSpecialTokens(false)
                        .optTruncation(false)
                        .optPadding(false)
                        .build()) {
            for (String text : texts) {
                assertThat(tok.encode(text))
                        .isEqualTo(djl.encode(text, false, false).getIds());
            }
        }
    }

    @Test
    void addsNoSpecialTokensUnlessAsked() {
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            long[] plain = tok.encode("def f(): pass");
            long[] withBos = tok.encodeWithBos("def f(): pass");
            assertThat(Arrays.stream(plain).noneMatch(tok::isSpecial)).isTrue();
            assertThat(withBos[0]).isEqualTo(tok.specials().bos());
            assertThat(Arrays.copyOfRange(withBos, 1, withBos.length)).containsExactly(plain);
        }
    }

    @Test
    void resolvesTheTrainerSpecialTokens() {
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            SpecialTokens s = tok.specials();
            assertThat(s.bos()).isEqualTo(0);
            assertThat(s.eos()).isEqualTo(1);
            assertThat(s.fimPrefix()).hasValue(2);
            assertThat(s.fimSuffix()).hasValue(3);
            assertThat(s.fimMiddle()).hasValue(4);
            assertThat(s.fimEndOfInfill()).hasValue(5);
            assertThat(s.sat()).hasValue(6);
            assertThat(s.supportsInfilling()).isTrue();
            assertThat(tok.idOf("<pad>")).hasValue(7);
            assertThat(tok.idOf("Ġ")).hasValue(8 + ' '); // byte tokens follow the specials in byte order
            assertThat(tok.vocabSize()).isEqualTo(VOCAB);
            assertThat(tok.tokenOf(6)).hasValue("<sat>");
        }
    }

    /**
     * Hugging Face extracts added tokens from the raw text before pre-tokenization, even with
     * add_special_tokens=false, so the literal text "&lt;sat&gt;" becomes the SAT id. Decoding with
     * skipSpecial drops it; without, the text comes back unchanged.
     */
    @Test
    void literalSpecialTokenTextEncodesToTheSpecialId() {
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            String text = "x = 1<sat>y  </s>";
            long[] ids = tok.encode(text);
            assertThat(Arrays.stream(ids).filter(id -> id == 6)).hasSize(1);
            assertThat(Arrays.stream(ids).filter(id -> id == 1)).hasSize(1);
            assertThat(tok.decode(ids)).isEqualTo(text);
            assertThat(tok.decode(ids, true)).isEqualTo("x = 1y  ");
        }
    }

    @Test
    void resolvesCodeLlamaAndStarCoderSpellings(@TempDir Path dir) {
        Path starCoder = dir.resolve("starcoder");
        train(List.of("<s>", "</s>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "[SAT]"), starCoder);
        try (SdsatTokenizer tok = SdsatTokenizer.load(starCoder)) {
            SpecialTokens s = tok.specials();
            assertThat(s.fimPrefix()).hasValue(2);
            assertThat(s.fimSuffix()).hasValue(3);
            assertThat(s.fimMiddle()).hasValue(4);
            assertThat(s.fimEndOfInfill()).isEmpty();
            assertThat(s.sat()).hasValue(5);
        }
        Path codeLlama = dir.resolve("codellama");
        train(List.of("<s>", "</s>", "▁<PRE>", "▁<SUF>", "▁<MID>", "▁<EOT>"), codeLlama);
        try (SdsatTokenizer tok = SdsatTokenizer.load(codeLlama)) {
            SpecialTokens s = tok.specials();
            assertThat(List.of(s.fimPrefix(), s.fimSuffix(), s.fimMiddle(), s.fimEndOfInfill()))
                    .containsExactly(OptionalInt.of(2), OptionalInt.of(3), OptionalInt.of(4), OptionalInt.of(5));
            assertThat(s.sat()).isEmpty();
        }
    }

    @Test
    void fallsBackToConfigIdsForUnnamedBosAndEos(@TempDir Path dir) throws Exception {
        Path odd = dir.resolve("odd");
        train(List.of("<|start|>", "<|stop|>"), odd);
        Files.delete(odd.resolve("tokenizer_config.json"));
        assertThatThrownBy(() -> SdsatTokenizer.load(odd))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("No BOS token")
                .hasMessageContaining("bos_token_id");
        try (SdsatTokenizer tok = SdsatTokenizer.load(odd, OptionalInt.of(0), OptionalInt.of(1))) {
            assertThat(tok.specials().bos()).isEqualTo(0);
            assertThat(tok.specials().eos()).isEqualTo(1);
        }
        assertThatThrownBy(() -> SdsatTokenizer.load(odd, OptionalInt.of(0), OptionalInt.of(100_000)))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("EOS id 100000");
    }

    @Test
    void takesBosAndEosNamesFromTokenizerConfig(@TempDir Path dir) {
        Path odd = dir.resolve("named");
        train(List.of("<|start|>", "<|stop|>"), odd); // the trainer writes bos_token/eos_token for these
        try (SdsatTokenizer tok = SdsatTokenizer.load(odd)) {
            assertThat(tok.specials().bos()).isEqualTo(0);
            assertThat(tok.specials().eos()).isEqualTo(1);
        }
    }

    @Test
    void missingFolderOrFileIsNamedInTheError(@TempDir Path dir) {
        Path nowhere = dir.resolve("nowhere");
        assertThatThrownBy(() -> SdsatTokenizer.load(nowhere))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(nowhere.toString());
        assertThatThrownBy(() -> SdsatTokenizer.load(dir))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("No tokenizer.json in " + dir);
    }

    @Test
    void corruptFileIsNamedInTheError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": ", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SdsatTokenizer.load(dir))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString());
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        try (SdsatTokenizer tok = SdsatTokenizer.load(folder)) {
            assertThatThrownBy(() -> tok.decode(new long[] {5, VOCAB}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Token id " + VOCAB);
        }
    }

    private static void train(List<String> specials, Path out) {
        BpeTokenizerTrainer trainer =
                new BpeTokenizerTrainer(new BpeTokenizerTrainer.Options(specials.size() + 256 + 50, specials, 2, 512));
        trainer.addText(SyntheticPython.source(3, 50));
        trainer.train().writeTo(out);
    }
}
