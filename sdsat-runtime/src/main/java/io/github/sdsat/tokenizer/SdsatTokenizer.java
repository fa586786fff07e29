package io.github.sdsat.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} loaded from a model folder through DJL's HuggingFaceTokenizer (the Rust
 * {@code tokenizers} library), so ids match what transformers produces for the same file.
 *
 * <p>Nothing is added automatically: {@link #encode(String)} returns exactly the tokens of the text and callers
 * prepend BOS with {@link #encodeWithBos(String)}. Text that contains the literal content of a special token
 * (for example {@code "<sat>"}) is encoded to that special token's id, as Hugging Face does for added tokens.
 */
public final class SdsatTokenizer implements AutoCloseable {

    private static final String TOKENIZER_FILE = "tokenizer.json";
    private static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

    // Spellings used by the model families this project meets, most specific first.
    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<bos>");
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>");
    private static final List<String> SAT_NAMES = List.of("<sat>", "<SAT>", "[SAT]");
    private static final List<String> FIM_PREFIX_NAMES =
            List.of("▁<PRE>", "<PRE>", "<fim_prefix>", "<fim-prefix>", "<|fim_prefix|>", "<|fim_begin|>");
    private static final List<String> FIM_SUFFIX_NAMES =
            List.of("▁<SUF>", "<SUF>", "<fim_suffix>", "<fim-suffix>", "<|fim_suffix|>", "<|fim_hole|>");
    private static final List<String> FIM_MIDDLE_NAMES =
            List.of("▁<MID>", "<MID>", "<fim_middle>", "<fim-middle>", "<|fim_middle|>", "<|fim_end|>");
    private static final List<String> FIM_END_NAMES = List.of("▁<EOT>", "<EOT>");

    private final HuggingFaceTokenizer tokenizer;
    private final Path folder;
    private final Map<String, Integer> idsByToken;
    private final String[] tokensById;
    private final BitSet specialIds;
    private final SpecialTokens specials;

    private SdsatTokenizer(
            HuggingFaceTokenizer tokenizer,
            Path folder,
            Map<String, Integer> idsByToken,
            String[] tokensById,
            BitSet specialIds,
            SpecialTokens specials) {
        this.tokenizer = tokenizer;
        this.folder = folder;
        this.idsByToken = idsByToken;
        this.tokensById = tokensById;
        this.specialIds = specialIds;
        this.specials = specials;
    }

    /**
     * Loads {@code folder/tokenizer.json}; BOS and EOS must be found by name (or in tokenizer_config.json).
     *
     * @throws SdsatException if the folder or its tokenizer.json is missing or unreadable, or BOS/EOS are not found
     */
    public static SdsatTokenizer load(Path folder) {
        return load(folder, OptionalInt.empty(), OptionalInt.empty());
    }

    /**
     * Loads {@code folder/tokenizer.json}, taking BOS and EOS from the tokenizer's own tokens and falling back to
     * the ids from the model's config.json when the tokenizer has none of the usual names.
     */
    public static SdsatTokenizer load(Path folder, OptionalInt configBosId, OptionalInt configEosId) {
        Objects.requireNonNull(folder, "folder");
        if (!Files.isDirectory(folder)) {
            throw new SdsatException("Tokenizer folder " + folder.toAbsolutePath() + " does not exist or is not a "
                    + "folder: pass the model folder that contains tokenizer.json.");
        }
        Path file = folder.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new SdsatException("No " + TOKENIZER_FILE + " in " + folder.toAbsolutePath() + ": a model folder "
                    + "must hold a Hugging Face tokenizer.json (transformers writes it with "
                    + "tokenizer.save_pretrained(folder)).");
        }
        ObjectMapper mapper = new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot read " + file.toAbsolutePath() + " as JSON (" + e.getMessage()
                            + "): replace it with a valid Hugging Face tokenizer.json.",
                    e);
        }
        Map<String, Integer> idsByToken = readVocabulary(root, file);
        String[] tokensById = invert(idsByToken);
        BitSet specialIds = new BitSet();
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("special").asBoolean(false)) {
                specialIds.set(added.path("id").asInt());
            }
        }

        HuggingFaceTokenizer hf;
        try {
            // A file path (not the folder) keeps DJL from applying tokenizer_config.json, whose
            // clean_up_tokenization_spaces would rewrite " ." to "." in decoded code. Truncation and padding are
            // off so a long source file is encoded whole.
            hf = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new SdsatException(
                    "Hugging Face tokenizers could not load " + file.toAbsolutePath() + " (" + e.getMessage()
                            + "): check that it is a complete tokenizer.json.",
                    e);
        }
        try {
            SpecialTokens specials = resolveSpecials(
                    idsByToken, readConfigTokens(folder, mapper), configBosId, configEosId, tokensById.length, folder);
            return new SdsatTokenizer(hf, folder, idsByToken, tokensById, specialIds, specials);
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    /** Token ids of {@code text} with no BOS/EOS added. */
    public long[] encode(String text) {
        Objects.requireNonNull(text, "text");
        // Straight to the native encoder for the ids only: DJL's Encoding also copies tokens, offsets, masks and
        // word ids across JNI, which doubled the time to encode the stdlib corpus (measured 19 s vs 10 s).
        // Equivalent here because no DJL-side text preparation (lower-casing, prefix space) is configured.
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, false);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /** BOS followed by the ids of {@code text}: the form a prompt is fed to the model. */
    public long[] encodeWithBos(String text) {
        long[] body = encode(text);
        long[] out = new long[body.length + 1];
        out[0] = specials.bos();
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** Text of {@code ids}, special tokens included. For byte-level BPE this inverts {@link #encode(String)}. */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of {@code ids}; with {@code skipSpecial} the special (added) tokens are left out. A sequence that
     * ends inside a multi-byte UTF-8 character decodes that fragment to U+FFFD.
     */
    public String decode(long[] ids, boolean skipSpecial) {
        Objects.requireNonNull(ids, "ids");
        for (long id : ids) {
            if (id < 0 || id >= tokensById.length) {
                throw new IllegalArgumentException("Token id " + id + " is outside the vocabulary of "
                        + folder.resolve(TOKENIZER_FILE) + " (ids 0.." + (tokensById.length - 1)
                        + "): the model and tokenizer do not belong together.");
            }
        }
        return tokenizer.decode(ids, skipSpecial);
    }

    /** Number of ids, added tokens included: one more than the largest id. */
    public int vocabSize() {
        return tokensById.length;
    }

    /** Id of a token given as it is spelled in tokenizer.json (byte-level form, e.g. "Ġdef"), if present. */
    public OptionalInt idOf(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Token string of {@code id} as spelled in tokenizer.json, if the id is used. */
    public Optional<String> tokenOf(int id) {
        return id >= 0 && id < tokensById.length ? Optional.ofNullable(tokensById[id]) : Optional.empty();
    }

    /** True for ids of added tokens marked special in tokenizer.json (those {@code decode(ids, true)} drops). */
    public boolean isSpecial(long id) {
        return id >= 0 && id < tokensById.length && specialIds.get((int) id);
    }

    public SpecialTokens specials() {
        return specials;
    }

    public Path folder() {
        return folder;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /**
     * The largest vocabulary accepted (the same bound as config.json's vocab_size): ids index a table, so an absurd
     * id in a corrupt tokenizer.json is refused instead of allocating for it.
     */
    static final int MAX_VOCABULARY_SIZE = 4_194_304;

    private static Map<String, Integer> readVocabulary(JsonNode root, Path file) {
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) { // BPE and WordPiece: {"token": id}
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ids.put(e.getKey(), tokenId(e.getValue(), "model.vocab entry '" + e.getKey() + "'", file));
            }
        } else if (vocab.isArray()) { // Unigram: [["token", score], ...], id = position
            if (vocab.size() > MAX_VOCABULARY_SIZE) {
                throw new SdsatException(file.toAbsolutePath() + " has " + vocab.size() + " vocabulary entries, more "
                        + "than " + MAX_VOCABULARY_SIZE + ": replace it with the model's own tokenizer.json.");
            }
            for (int i = 0; i < vocab.size(); i++) {
                ids.put(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new SdsatException(file.toAbsolutePath() + " has no model.vocab: it is not a Hugging Face "
                    + "tokenizer.json; save the tokenizer with transformers' save_pretrained.");
        }
        for (JsonNode added : root.path("added_tokens")) {
            ids.put(
                    added.path("content").asText(),
                    tokenId(
                            added.path("id"),
                            "added_tokens entry '" + added.path("content").asText() + "'",
                            file));
        }
        return ids;
    }

    private static int tokenId(JsonNode node, String what, Path file) {
        if (!node.isIntegralNumber()
                || !node.canConvertToInt()
                || node.intValue() < 0
                || node.intValue() >= MAX_VOCABULARY_SIZE) {
            throw new SdsatException(file.toAbsolutePath() + ": " + what + " has id " + node + ", which is not a "
                    + "token id (an integer from 0 to " + (MAX_VOCABULARY_SIZE - 1) + "): replace it with the "
                    + "model's own tokenizer.json.");
        }
        return node.intValue();
    }

    private static String[] invert(Map<String, Integer> idsByToken) {
        int size =
                idsByToken.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[size];
        idsByToken.forEach((token, id) -> tokens[id] = token);
        return tokens;
    }

    /** bos_token / eos_token of tokenizer_config.json, which may be a string or {"content": ...}. */
    private static Map<String, String> readConfigTokens(Path folder, ObjectMapper mapper) {
        Map<String, String> names = new HashMap<>();
        Path config = folder.resolve(TOKENIZER_CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            return names;
        }
        try {
            JsonNode root = mapper.readTree(config.toFile());
            for (String key : List.of("bos_token", "eos_token")) {
                JsonNode value = root.path(key);
                String name = value.isTextual()
                        ? value.asText()
                        : value.path("content").asText(null);
                if (name != null) {
                    names.put(key, name);
                }
            }
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot read " + config.toAbsolutePath() + " as JSON (" + e.getMessage()
                            + "): fix or delete it (only bos_token and eos_token are read from it).",
                    e);
        }
        return names;
    }

    private static SpecialTokens resolveSpecials(
            Map<String, Integer> ids,
            Map<String, String> configNames,
            OptionalInt configBos,
            OptionalInt configEos,
            int vocabSize,
            Path folder) {
        int bos =
                required("BOS", ids, withFirst(configNames.get("bos_token"), BOS_NAMES), configBos, vocabSize, folder);
        int eos =
                required("EOS", ids, withFirst(configNames.get("eos_token"), EOS_NAMES), configEos, vocabSize, folder);
        return new SpecialTokens(
                bos,
                eos,
                first(ids, SAT_NAMES),
                first(ids, FIM_PREFIX_NAMES),
                first(ids, FIM_SUFFIX_NAMES),
                first(ids, FIM_MIDDLE_NAMES),
                first(ids, FIM_END_NAMES));
    }

    private static List<String> withFirst(String name, List<String> names) {
        if (name == null) {
            return names;
        }
        List<String> all = new ArrayList<>();
        all.add(name);
        all.addAll(names);
        return all;
    }

    private static int required(
            String what,
            Map<String, Integer> ids,
            List<String> names,
            OptionalInt fallback,
            int vocabSize,
            Path folder) {
        OptionalInt byName = first(ids, names);
        if (byName.isPresent()) {
            return byName.getAsInt();
        }
        if (fallback.isPresent()) {
            int id = fallback.getAsInt();
            if (id < 0 || id >= vocabSize) {
                throw new SdsatException("The model config's " + what + " id " + id + " is outside the vocabulary"
                        + " of " + folder.resolve(TOKENIZER_FILE) + " (size " + vocabSize + "): fix "
                        + what.toLowerCase() + "_token_id in config.json.");
            }
            return id;
        }
        throw new SdsatException("No " + what + " token in " + folder.resolve(TOKENIZER_FILE) + " (looked for "
                + names + "): add it to the tokenizer, name it in tokenizer_config.json as "
                + what.toLowerCase() + "_token, or set " + what.toLowerCase() + "_token_id in config.json.");
    }

    private static OptionalInt first(Map<String, Integer> ids, List<String> names) {
        for (String name : names) {
            Integer id = ids.get(name);
            if (id != null) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }
}
