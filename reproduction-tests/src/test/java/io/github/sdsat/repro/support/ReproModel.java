package io.github.sdsat.repro.support;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.tokenizer.SdsatTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The model under test: {@code -Dsdsat.model=<folder>} if given, else the embedded model resolved by
 * {@code io.github.sdsat.model.EmbeddedModels.resolve("sdsat")} (the base model for the accuracy gate likewise from
 * {@code -Dsdsat.baseModel} or {@code resolve("base")}). {@code fixture:random} selects the random-weight fixture
 * ({@link RandomModelFixture}) for development runs of the harness; it is never chosen implicitly.
 *
 * <p>Models are loaded once per JVM (float32 on the CPU) and shared by all test classes; they are closed by the JVM's
 * exit (the native memory goes with the process).
 */
public final class ReproModel {
    public static final String MODEL_PROPERTY = "sdsat.model";
    public static final String BASE_MODEL_PROPERTY = "sdsat.baseModel";
    public static final String RANDOM_FIXTURE = "fixture:random";
    /** Seed of the random fixture; base and sdsat fixtures share it, so the fixture's "fine-tune" changes nothing. */
    static final long FIXTURE_SEED = 20240327L;

    private static final Map<String, ReproModel> LOADED = new HashMap<>();

    private final String role;
    private final String source;
    private final Path folder;
    private final LlamaModel model;
    private final SdsatTokenizer tokenizer;

    private ReproModel(String role, String source, Path folder) {
        this.role = role;
        this.source = source;
        this.folder = folder;
        LlamaConfig config = LlamaConfig.load(folder.resolve("config.json"));
        this.model = LlamaModel.load(folder, Device.cpu(), DataType.FLOAT32);
        this.tokenizer = SdsatTokenizer.load(
                folder,
                OptionalInt.of(config.bosTokenId()),
                config.eosTokenIds().isEmpty()
                        ? OptionalInt.empty()
                        : OptionalInt.of(config.eosTokenIds().get(0)));
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IllegalStateException("Model " + folder + ": tokenizer.json has " + tokenizer.vocabSize()
                    + " tokens but config.json vocab_size is " + config.vocabSize() + "; they do not belong together");
        }
    }

    /** The SDSAT model under test. */
    public static synchronized ReproModel sdsat() {
        return LOADED.computeIfAbsent("sdsat", role -> resolve(role, MODEL_PROPERTY));
    }

    /** The base model the SDSAT model was fine-tuned from (accuracy gate). */
    public static synchronized ReproModel base() {
        return LOADED.computeIfAbsent("base", role -> resolve(role, BASE_MODEL_PROPERTY));
    }

    /** The random-weight fixture, regardless of the properties (for the tests of the harness itself). */
    public static synchronized ReproModel randomFixture() {
        return LOADED.computeIfAbsent(
                "fixture",
                role -> new ReproModel(
                        "fixture",
                        RANDOM_FIXTURE,
                        RandomModelFixture.folder(fixtureDirectory(), "random", FIXTURE_SEED)));
    }

    /** Models loaded so far (for environment.properties). */
    public static synchronized Map<String, ReproModel> loaded() {
        return Map.copyOf(LOADED);
    }

    private static ReproModel resolve(String role, String property) {
        String value = System.getProperty(property, "").trim();
        if (value.equals(RANDOM_FIXTURE)) {
            return new ReproModel(
                    role, RANDOM_FIXTURE, RandomModelFixture.folder(fixtureDirectory(), "random", FIXTURE_SEED));
        }
        if (!value.isEmpty()) {
            Path folder = Path.of(value).toAbsolutePath();
            if (!Files.isRegularFile(folder.resolve("config.json"))) {
                throw new IllegalStateException("-D" + property + "=" + value + " is not a model folder (no "
                        + "config.json in " + folder + "): pass a Hugging Face Llama folder with config.json, "
                        + "safetensors weights and tokenizer.json");
            }
            return new ReproModel(role, "folder " + folder, folder);
        }
        return new ReproModel(role, "embedded " + role, EmbeddedModels.resolve(role));
    }

    static Path fixtureDirectory() {
        String dir = System.getProperty("sdsat.fixtureDirectory", "");
        return dir.isBlank() ? Path.of("target", "repro-fixtures").toAbsolutePath() : Path.of(dir);
    }

    public String role() {
        return role;
    }

    /** Where the model came from, for reports: "embedded sdsat", "folder /x", "fixture:random". */
    public String source() {
        return source;
    }

    public boolean isRandomFixture() {
        return RANDOM_FIXTURE.equals(source);
    }

    public Path folder() {
        return folder;
    }

    public LlamaModel model() {
        return model;
    }

    public SdsatTokenizer tokenizer() {
        return tokenizer;
    }

    /** Id of {@code <sat>}; fails with the fix when the tokenizer has none. */
    public long satId() {
        return tokenizer
                .specials()
                .sat()
                .orElseThrow(() -> new IllegalStateException("Model " + folder
                        + " has no <sat> token in tokenizer.json: the SDSAT gates need an SDSAT-fine-tuned model"));
    }

    public long eosId() {
        return tokenizer.specials().eos();
    }

    /** Human-readable text of one token for messages: quoted, with control characters escaped. */
    public String tokenText(long id) {
        if (id < 0 || id >= tokenizer.vocabSize()) {
            return "<id " + id + " outside the tokenizer>";
        }
        String text = tokenizer.decode(new long[] {id}, false);
        StringBuilder b = new StringBuilder("'");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '\'' -> b.append("\\'");
                default -> b.append(c);
            }
        }
        return b.append('\'').toString();
    }
}
