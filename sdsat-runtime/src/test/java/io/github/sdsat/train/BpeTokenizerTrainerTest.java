package io.github.sdsat.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTokenizerTrainerTest {

    private static TrainedBpe train(String text, int vocabSize) {
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(vocabSize));
        trainer.addText(text);
        return trainer.train();
    }

    @Test
    void sameInputGivesTheSameFileBytes(@TempDir Path dir) throws Exception {
        String text = SyntheticPython.source(7, 300);
        train(text, 8 + 256 + 400).writeTo(dir.resolve("a"));
        train(text, 8 + 256 + 400).writeTo(dir.resolve("b"));
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            assertThat(Files.readAllBytes(dir.resolve("a").resolve(file)))
                    .as(file)
                    .isEqualTo(Files.readAllBytes(dir.resolve("b").resolve(file)));
        }
        assertThat(dir.resolve("a")).isDirectoryNotContaining("glob:**.tmp");
        // readable by others like any file the user writes (a temp-file API would make it owner-only)
        assertThat(Files.getPosixFilePermissions(dir.resolve("a").resolve("tokenizer.json")))
                .isEqualTo(Files.getPosixFilePermissions(Files.writeString(dir.resolve("plain.txt"), "x")));
    }

    @Test
    void reachesTheRequestedVocabularyWithUniqueTokens() {
        TrainedBpe bpe = train(SyntheticPython.source(7, 300), 8 + 256 + 400);
        assertThat(bpe.vocabSize()).isEqualTo(8 + 256 + 400);
        assertThat(new HashSet<>(bpe.tokens())).hasSize(bpe.vocabSize());
        assertThat(bpe.tokens().subList(0, 8)).isEqualTo(BpeTokenizerTrainer.DEFAULT_SPECIAL_TOKENS);
        assertThat(bpe.merges()).hasSizeGreaterThanOrEqualTo(400);
        // every merge joins two known tokens into a known token
        Set<String> vocab = new HashSet<>(bpe.tokens());
        for (String[] merge : bpe.merges()) {
            assertThat(vocab).contains(merge[0], merge[1], merge[0] + merge[1]);
        }
    }

    @Test
    void mergesFirstTheMostFrequentPairAndBreaksTiesBySmallerIds() {
        // a+b, b+c and c+d all occur 3 times: a+b wins (smallest left id). Then ab+c and c+d tie at 3 and the
        // byte token 'c' has a smaller id than the new token "ab", so c+d comes before ab+cd.
        TrainedBpe bpe = train("abcd abcd abcd", 8 + 256 + 3);
        assertThat(bpe.merges()).extracting(m -> m[0] + "+" + m[1]).containsExactly("a+b", "c+d", "ab+cd");
    }

    @Test
    void stopsWhenNoPairReachesMinFrequency() {
        BpeTokenizerTrainer trainer = new BpeTokenizerTrainer(
                new BpeTokenizerTrainer.Options(8 + 256 + 100, BpeTokenizerTrainer.DEFAULT_SPECIAL_TOKENS, 2, 64));
        trainer.addText("xy xy qz");
        TrainedBpe bpe = trainer.train();
        // "xy" twice, "Ġxy" once (piece " xy"), "Ġq", "qz" once: only x+y reaches 2.
        assertThat(bpe.merges()).extracting(m -> m[0] + "+" + m[1]).containsExactly("x+y");
        assertThat(bpe.vocabSize()).isEqualTo(8 + 256 + 1);
    }

    @Test
    void mergesShortenTheEncodingOfSimilarText(@TempDir Path dir) {
        train(SyntheticPython.source(11, 400), 8 + 256 + 300).writeTo(dir);
        String unseen = SyntheticPython.source(12, 40);
        try (SdsatTokenizer tok = SdsatTokenizer.load(dir)) {
            long[] ids = tok.encode(unseen);
            int bytes = unseen.getBytes(StandardCharsets.UTF_8).length;
            assertThat(ids.length).isLessThan(bytes / 2);
            assertThat(tok.decode(ids)).isEqualTo(unseen);
        }
    }

    @Test
    void writesTheHuggingFaceLayoutThatJlamaAndDjlRead(@TempDir Path dir) throws Exception {
        train(SyntheticPython.source(7, 50), 8 + 256 + 20).writeTo(dir);
        JsonNode json =
                new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        assertThat(json.path("version").asText()).isEqualTo("1.0");
        JsonNode pre = json.path("pre_tokenizer");
        assertThat(pre.path("type").asText()).isEqualTo("Sequence");
        assertThat(pre.path("pretokenizers").get(0).path("type").asText()).isEqualTo("Split");
        assertThat(pre.path("pretokenizers")
                        .get(0)
                        .path("pattern")
                        .path("Regex")
                        .asText())
                .isEqualTo(ByteLevelPreTokenizer.LLAMA3_SPLIT_REGEX);
        assertThat(pre.path("pretokenizers").get(1).path("type").asText()).isEqualTo("ByteLevel");
        assertThat(pre.path("pretokenizers").get(1).path("use_regex").asBoolean(true))
                .isFalse();
        assertThat(json.path("decoder").path("type").asText()).isEqualTo("ByteLevel");
        assertThat(json.path("model").path("type").asText()).isEqualTo("BPE");
        assertThat(json.path("model").path("byte_fallback").asBoolean(true)).isFalse();
        assertThat(json.path("added_tokens").get(0).path("content").asText()).isEqualTo("<s>");
        assertThat(json.path("added_tokens").get(0).path("special").asBoolean()).isTrue();
        JsonNode config =
                new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(config.path("bos_token").asText()).isEqualTo("<s>");
        assertThat(config.path("eos_token").asText()).isEqualTo("</s>");
        assertThat(config.path("tokenizer_class").asText()).isEqualTo("PreTrainedTokenizerFast");
        assertThat(config.path("clean_up_tokenization_spaces").asBoolean(true)).isFalse();
    }

    /** The Java split must cut text where Hugging Face's Split(Regex) does, or merges are learned on other units. */
    @Test
    void javaPreTokenizerSplitsLikeHuggingFace(@TempDir Path dir) throws Exception {
        train(SyntheticPython.source(7, 50), 8 + 256 + 50).writeTo(dir);
        String text = "x  =  1\n\n    def f():\r\n\tpass  \n   \n12345 ab'S don't ÀÉ 日本語 ✓✓ 🙂\u00a0x\u2003y"
                + "   foo(bar)...  \n\n\n  # comment\u2028end 3.14159 __init__ ';'";
        List<String> javaPieces = new ByteLevelPreTokenizer(List.of()).pieces(text);
        assertThat(String.join("", javaPieces)).isEqualTo(text);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                .optTokenizerPath(dir.resolve("tokenizer.json"))
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .optPadding(false)
                .build()) {
            Encoding encoding = hf.encode(text, false, false);
            Map<Long, StringBuilder> words = new LinkedHashMap<>();
            String[] tokens = encoding.getTokens();
            long[] wordIds = encoding.getWordIds();
            for (int i = 0; i < tokens.length; i++) {
                words.computeIfAbsent(wordIds[i], k -> new StringBuilder()).append(tokens[i]);
            }
            List<String> hfPieces = new ArrayList<>();
            words.values().forEach(sb -> hfPieces.add(sb.toString()));
            assertThat(hfPieces)
                    .isEqualTo(javaPieces.stream()
                            .map(ByteLevelPreTokenizer::toByteLevel)
                            .toList());
        }
    }

    @Test
    void specialTokensInTheCorpusAreNotLearnedAsMerges() {
        TrainedBpe bpe = train("<sat><sat><sat> <s>x</s> <s>x</s> <s>x</s>", 8 + 256 + 20);
        for (String[] merge : bpe.merges()) {
            assertThat(merge[0] + merge[1]).doesNotContain("<s>", "</s>", "<sat>");
        }
    }

    @Test
    void rejectsBadOptionsWithTheirNames() {
        assertThatThrownBy(() -> BpeTokenizerTrainer.Options.withVocabSize(100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabSize 100");
        assertThatThrownBy(() -> BpeTokenizerTrainer.Options.withVocabSize(70_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536");
        assertThatThrownBy(() -> new BpeTokenizerTrainer.Options(1000, List.of("<s>", "<s>"), 2, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicates");
        assertThatThrownBy(() -> new BpeTokenizerTrainer.Options(1000, List.of("<s>", "!"), 2, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"!\"");
        assertThatThrownBy(() -> new BpeTokenizerTrainer.Options(1000, List.of("<s>", "</s>"), 0, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minFrequency");
    }
}
