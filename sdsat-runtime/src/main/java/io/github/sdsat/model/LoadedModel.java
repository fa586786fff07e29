package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;

/**
 * A model folder opened for generation: its tokenizer, the model on the chosen device, and the SAT token id.
 *
 * @param folder the model folder
 * @param tokenizer the folder's tokenizer.json
 * @param model the weights on {@code choice}'s device
 * @param choice device and dtype in use
 * @param satToken id of the semantic adaptive token, or -1 when neither the tokenizer nor the user names one
 */
public record LoadedModel(Path folder, SdsatTokenizer tokenizer, LlamaModel model, DeviceChoice choice, long satToken)
        implements AutoCloseable {

    /**
     * Opens the tokenizer first (cheap, and most folder mistakes show there), checks that it fits config.json's
     * vocabulary, then loads the weights.
     */
    public static LoadedModel open(Path folder, DeviceChoice choice, String satTokenOverride) {
        SdsatTokenizer tokenizer = openTokenizer(folder);
        try {
            long sat = resolveSatToken(tokenizer, satTokenOverride);
            int vocabSize =
                    LlamaConfig.load(folder.resolve(Checkpoint.CONFIG_FILE)).vocabSize();
            if (vocabSize < tokenizer.vocabSize()) {
                // Checked before the weights load: ids past vocab_size would index past the embedding matrix.
                throw new SdsatException("Model folder " + folder + ": tokenizer.json has " + tokenizer.vocabSize()
                        + " tokens but config.json's vocab_size is " + vocabSize + "; the tokenizer and the weights "
                        + "do not belong together: use the tokenizer.json saved with this model");
            }
            LlamaModel model = LlamaModel.load(folder, choice.device(), choice.dtype());
            return new LoadedModel(folder, tokenizer, model, choice, sat);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** Loads {@code folder/tokenizer.json}, with BOS/EOS fallbacks from config.json. */
    public static SdsatTokenizer openTokenizer(Path folder) {
        Path configJson = folder.resolve(Checkpoint.CONFIG_FILE);
        if (!Files.isRegularFile(configJson)) {
            throw new SdsatException("Model folder " + folder.toAbsolutePath() + " has no " + Checkpoint.CONFIG_FILE
                    + ": set sdsat.model to a Hugging Face model folder (config.json, tokenizer.json, "
                    + "model.safetensors)");
        }
        var config = io.github.sdsat.model.LlamaConfig.load(configJson);
        List<Integer> eos = config.eosTokenIds();
        return SdsatTokenizer.load(
                folder,
                OptionalInt.of(config.bosTokenId()),
                eos.isEmpty() ? OptionalInt.empty() : OptionalInt.of(eos.get(0)));
    }

    /**
     * The SAT token: {@code override} as an id (digits) or as token text (its spelling in tokenizer.json, or text
     * that encodes to exactly one token); without an override, the tokenizer's own SAT token; -1 when there is
     * none (only the autoregressive decoder can run then).
     *
     * @throws IllegalArgumentException when the override names no single token of the vocabulary
     */
    public static long resolveSatToken(SdsatTokenizer tokenizer, String override) {
        if (override == null || override.isBlank()) {
            OptionalInt sat = tokenizer.specials().sat();
            return sat.isPresent() ? sat.getAsInt() : -1;
        }
        String value = override.strip();
        if (value.chars().allMatch(Character::isDigit)) {
            long id;
            try {
                id = Long.parseLong(value);
            } catch (NumberFormatException e) {
                id = Long.MAX_VALUE;
            }
            if (id >= tokenizer.vocabSize()) {
                throw new IllegalArgumentException("sdsat.satToken " + value + " is outside the vocabulary (ids 0.."
                        + (tokenizer.vocabSize() - 1) + "): give the SAT token's id or its text, e.g. <sat>");
            }
            return id;
        }
        OptionalInt spelled = tokenizer.idOf(value);
        if (spelled.isPresent()) {
            return spelled.getAsInt();
        }
        long[] ids = tokenizer.encode(value);
        if (ids.length == 1) {
            return ids[0];
        }
        throw new IllegalArgumentException("sdsat.satToken '" + value + "' is not a token of " + tokenizer.folder()
                + "/tokenizer.json (it encodes to " + ids.length + " tokens): give the SAT token's id or its exact "
                + "text, e.g. <sat>");
    }

    /**
     * SHA-256 over the weight files of the folder (in the checkpoint's file order), identifying the weights in
     * results so that shards of different models are not merged.
     */
    public String weightsSha256() {
        return weightsSha256(folder);
    }

    /** {@link #weightsSha256()} of a model folder, without loading it (reads every weight file once). */
    public static String weightsSha256(Path folder) {
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (Path file : checkpoint.files()) {
                try (InputStream in = Files.newInputStream(file)) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new SdsatException(
                    "Cannot read the weights of " + folder + " to checksum them: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }
}
