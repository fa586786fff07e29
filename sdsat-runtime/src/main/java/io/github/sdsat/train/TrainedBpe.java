package io.github.sdsat.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.SdsatException;
import io.github.sdsat.model.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A trained byte-level BPE: tokens by id and merges in rank order, writable as a Hugging Face tokenizer folder.
 *
 * @param tokens token strings by id (byte-level alphabet), specials first
 * @param merges merges in rank order as {left, right} token strings
 */
public record TrainedBpe(BpeTokenizerTrainer.Options options, List<String> tokens, List<String[]> merges, Stats stats) {

    /**
     * @param textBytes     UTF-8 bytes of all text added
     * @param pieces        pre-tokenized pieces counted (with repeats)
     * @param uniquePieces  distinct pieces the merges were learned on
     * @param merges        merges learned
     * @param reusedTokens  merges whose result string already existed as a token (no new id)
     * @param countSeconds  time spent pre-tokenizing and counting
     * @param mergeSeconds  time spent learning merges
     */
    public record Stats(
            long textBytes,
            long pieces,
            int uniquePieces,
            int merges,
            int reusedTokens,
            double countSeconds,
            double mergeSeconds) {}

    public TrainedBpe {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
    }

    public int vocabSize() {
        return tokens.size();
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code folder} (created if needed),
     * each through a temporary file moved into place, so readers never see half a file.
     */
    public void writeTo(Path folder) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try {
            Files.createDirectories(folder);
            AtomicFiles.write(folder.resolve("tokenizer.json"), mapper.writeValueAsBytes(tokenizerJson()));
            AtomicFiles.write(folder.resolve("tokenizer_config.json"), mapper.writeValueAsBytes(tokenizerConfig()));
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot write the tokenizer into " + folder.toAbsolutePath() + " (" + e.getMessage()
                            + "): check that the folder is writable and the disk has space.",
                    e);
        }
    }

    /** The Hugging Face tokenizer.json document. */
    public ObjectNode tokenizerJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<String> specials = options.specialTokens();
        for (int id = 0; id < specials.size(); id++) {
            ObjectNode token = added.addObject();
            token.put("id", id);
            token.put("content", specials.get(id));
            token.put("single_word", false);
            token.put("lstrip", false);
            token.put("rstrip", false);
            token.put("normalized", false);
            token.put("special", true);
        }
        root.putNull("normalizer");
        // Split-then-ByteLevel(use_regex=false) rather than a lone ByteLevel(use_regex=true): Jlama only applies
        // the byte-to-unicode mapping for this Sequence form and would otherwise drop every space.
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", ByteLevelPreTokenizer.LLAMA3_SPLIT_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode byteLevel = steps.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", false);
        root.putNull("post_processor");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        ArrayNode mergeArray = model.putArray("merges");
        for (String[] merge : merges) {
            mergeArray.addArray().add(merge[0]).add(merge[1]);
        }
        return root;
    }

    /** tokenizer_config.json as transformers reads it. */
    public ObjectNode tokenizerConfig() {
        List<String> specials = options.specialTokens();
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", specials.get(0));
        config.put("eos_token", specials.get(1));
        if (specials.contains("<pad>")) {
            config.put("pad_token", "<pad>");
        }
        ArrayNode additional = config.putArray("additional_special_tokens");
        specials.stream().skip(2).filter(s -> !s.equals("<pad>")).forEach(additional::add);
        config.put("model_max_length", options.modelMaxLength());
        // Decoding code must give back the exact source text; the cleanup would turn " ." into ".".
        config.put("clean_up_tokenization_spaces", false);
        return config;
    }
}
