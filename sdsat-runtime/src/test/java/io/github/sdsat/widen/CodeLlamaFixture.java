package io.github.sdsat.widen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sdsat.model.LlamaConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Model folders laid out like {@code codellama/CodeLlama-7b-hf} and {@code ainergy/CodeLlama-SDSAT_L5_7B}, made in a
 * test's temporary folder (nothing big is committed):
 *
 * <ul>
 *   <li>a {@code tokenizer.json} with CodeLlama's 32,016 ids: {@code <unk> <s> </s>} at 0-2, the byte-fallback tokens
 *       {@code <0x00>..<0xFF>} at 3-258, SentencePiece-style pieces ({@code ▁} for a space), and CodeLlama's 16 extra
 *       pieces at 32000-32015, among them the FIM sentinels {@code ▁<PRE> ▁<SUF> ▁<MID> ▁<EOT>} at 32007-32010 and
 *       {@code ▁<EOT><EOT>} at 32011, the token the SDSAT checkpoints repeat as their SAT (the official scripts pass
 *       {@code --sa_tokens=32011,...}); the model is a byte-fallback BPE with CodeLlama's normalizer and decoder;
 *       the pieces between the specials and 32000 are a few hundred real merges and fillers, not CodeLlama's;
 *   <li>CodeLlama-7B's shard layout with its exact config.json: two BF16 shards with the real tensor names and shapes
 *       and an index, written as sparse files (the headers are real, the 13.5 GB of data are holes that read as
 *       zeros and take no disk).
 * </ul>
 */
final class CodeLlamaFixture {
    static final int VOCAB = 32016;
    static final int SAT = 32011;

    /** CodeLlama's pieces after the 32,000 of Llama 2, in id order from 32000. */
    static final List<String> EXTRA_PIECES = List.of(
            "▁<SU",
            "▁<SUF",
            "▁<PRE",
            "▁<M",
            "▁<MID",
            "▁<E",
            "▁<EOT",
            "▁<PRE>",
            "▁<SUF>",
            "▁<MID>",
            "▁<EOT>",
            "▁<EOT><EOT>",
            "▁<EOT><EOT><EOT>",
            "▁<EOT><EOT><EOT><EOT>",
            "▁<EOT><EOT><EOT><EOT><EOT>",
            "▁<EOT><EOT><EOT><EOT><EOT><EOT>");

    private static final List<String> WORDS = List.of(
            "def", "return", "import", "from", "class", "self", "for", "in", "if", "elif", "else", "while", "print",
            "range", "len", "None", "True", "False", "and", "or", "not", "fib", "n", "a", "b", "x", "lambda", "yield");

    private static final ObjectMapper JSON = new ObjectMapper();

    private CodeLlamaFixture() {}

    /** Writes tokenizer.json and tokenizer_config.json into {@code folder}. */
    static void writeTokenizer(Path folder) throws IOException {
        Files.createDirectories(folder);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format("<0x%02X>", b), 3 + b);
        }
        Set<String> pieces = new LinkedHashSet<>();
        pieces.add("▁");
        for (char c = 33; c < 127; c++) {
            pieces.add(String.valueOf(c));
        }
        List<String[]> merges = new java.util.ArrayList<>();
        for (String word : WORDS) {
            String piece = "▁";
            for (char c : word.toCharArray()) {
                String next = piece + c;
                if (pieces.add(next)) {
                    merges.add(new String[] {piece, String.valueOf(c)});
                }
                piece = next;
            }
        }
        merges.add(new String[] {"▁", "▁"});
        pieces.add("▁▁");
        for (String piece : pieces) {
            vocab.put(piece, vocab.size());
        }
        for (int filler = 0; vocab.size() < 32000; filler++) {
            vocab.put("▁filler" + filler, vocab.size()); // unreachable: no merge makes them
        }
        for (String piece : EXTRA_PIECES) {
            vocab.put(piece, vocab.size());
        }

        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id : List.of(0, 1, 2, 32007, 32008, 32009, 32010)) {
            String content = id < 3 ? List.of("<unk>", "<s>", "</s>").get(id) : EXTRA_PIECES.get(id - 32000);
            added.addObject()
                    .put("id", id)
                    .put("content", content)
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode normalizers = normalizer.putArray("normalizers");
        normalizers.addObject().put("type", "Prepend").put("prepend", "▁");
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "▁");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        ObjectNode space = decoders.addObject().put("type", "Replace");
        space.putObject("pattern").put("String", "▁");
        space.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject()
                .put("type", "Strip")
                .put("content", " ")
                .put("start", 1)
                .put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        ArrayNode mergeNode = model.putArray("merges");
        merges.forEach(m -> mergeNode.add(m[0] + " " + m[1]));
        Files.writeString(folder.resolve("tokenizer.json"), JSON.writeValueAsString(root));
        Files.writeString(folder.resolve("tokenizer_config.json"), """
                {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "prefix_token": "▁<PRE>",
                 "middle_token": "▁<MID>", "suffix_token": "▁<SUF>", "eot_token": "▁<EOT>",
                 "tokenizer_class": "CodeLlamaTokenizer"}
                """);
    }

    /**
     * Writes CodeLlama-7B's exact config.json and its tensors as two sparse BF16 shards (layers 0-23 and the
     * embedding in the first, the rest in the second) with model.safetensors.index.json.
     */
    static void writeSparseSevenB(Path folder, byte[] configJson, LlamaConfig config) throws IOException {
        Files.createDirectories(folder);
        Files.write(folder.resolve("config.json"), configJson);
        Map<String, long[]> first = new LinkedHashMap<>();
        Map<String, long[]> second = new LinkedHashMap<>();
        config.tensorShapes().forEach((name, shape) -> {
            boolean early = name.equals("model.embed_tokens.weight")
                    || (name.startsWith("model.layers.") && Integer.parseInt(name.split("\\.")[2]) < 24);
            (early ? first : second).put(name, shape);
        });
        ObjectNode index = JSON.createObjectNode();
        ObjectNode weightMap = JSON.createObjectNode();
        long total = 0;
        List<Map<String, long[]>> shards = List.of(first, second);
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            total += sparseShard(folder.resolve(file), shards.get(i));
            shards.get(i).keySet().forEach(name -> weightMap.put(name, file));
        }
        index.putObject("metadata").put("total_size", total);
        index.set("weight_map", weightMap);
        Files.writeString(folder.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index));
    }

    /** A BF16 safetensors file with a real header and a hole for the data; returns the data bytes. */
    private static long sparseShard(Path file, Map<String, long[]> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, long[]> entry : tensors.entrySet()) {
            long bytes = 2;
            ObjectNode info = header.putObject(entry.getKey());
            info.put("dtype", "BF16");
            ArrayNode shape = info.putArray("shape");
            for (long dim : entry.getValue()) {
                shape.add(dim);
                bytes *= dim;
            }
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer length =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(length.array());
            out.write(headerBytes);
            out.setLength(8L + padded + offset); // a hole: no blocks allocated for the data
        }
        return offset;
    }

    /** CodeLlama-7B's config.json with the sizes shrunk, every other field kept. */
    static byte[] shrunkenConfig(byte[] configJson) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(configJson);
        root.put("hidden_size", 64);
        root.put("intermediate_size", 172);
        root.put("num_hidden_layers", 2);
        root.put("num_attention_heads", 4);
        root.put("num_key_value_heads", 4);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    }
}
