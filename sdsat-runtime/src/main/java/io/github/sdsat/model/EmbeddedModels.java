package io.github.sdsat.model;

import io.github.sdsat.SdsatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The models shipped inside the runtime jar, and the resolution of {@code sdsat.model}.
 *
 * <p>Each embedded model is a Hugging Face model folder stored as class-path resources under
 * {@code io/github/sdsat/models/<name>/} ({@link #FILES}). Native code (safetensors memory mapping, the Rust
 * tokenizer) needs real files, so the first use copies them to
 * {@code <cache>/<name>-<first 16 hex digits of the weights' SHA-256>/}, where {@code <cache>} is the system
 * property {@value #CACHE_PROPERTY}, else {@code ~/.cache/sdsat/models}. The copy is made in a temporary folder
 * beside the target and renamed into place, so concurrent builds never see a half-copied model, and new weights
 * (a new hash) get a new folder.
 */
public final class EmbeddedModels {
    /** The default model: the embedded model fine-tuned for SDSAT. */
    public static final String DEFAULT = "sdsat";
    /** The embedded plain language model SDSAT was fine-tuned from. */
    public static final String BASE = "base";
    /** Names that resolve to embedded models. */
    public static final List<String> NAMES = List.of(DEFAULT, BASE);
    /** Files of an embedded model folder, in the order they are copied (the weights last). */
    public static final List<String> FILES =
            List.of("config.json", "tokenizer.json", "tokenizer_config.json", "MODEL_CARD.md", "model.safetensors");
    /** System property naming the folder that holds extracted embedded models. */
    public static final String CACHE_PROPERTY = "sdsat.cacheDir";

    private static final String RESOURCE_ROOT = "io/github/sdsat/models/";
    private static final String WEIGHTS = "model.safetensors";

    private EmbeddedModels() {}

    /**
     * Resolves {@code sdsat.model}: null, blank or {@value #DEFAULT} gives the embedded SDSAT model, {@value #BASE}
     * the embedded base model (both extracted on first use); anything else is a model folder path, returned as
     * is (absolute) after checking it is a folder.
     *
     * @throws SdsatException when the folder does not exist, or the embedded model is not in this build
     */
    public static Path resolve(String nameOrPath) {
        String value = nameOrPath == null || nameOrPath.isBlank() ? DEFAULT : nameOrPath.strip();
        if (NAMES.contains(value)) {
            return extract(value, cacheRoot());
        }
        Path folder = Path.of(value).toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new SdsatException("Model folder " + folder + " does not exist or is not a folder: set "
                    + "sdsat.model to a Hugging Face model folder (config.json, tokenizer.json, model.safetensors) "
                    + "or to one of the embedded models " + NAMES);
        }
        return folder;
    }

    /**
     * Copies a trained model folder into a source tree's resources as the embedded model {@code name}, so the next
     * build ships it ({@code sdsat:train -Dsdsat.train.install=true} does this for base and sdsat).
     *
     * @param resourcesRoot e.g. {@code sdsat-runtime/src/main/resources}
     */
    public static Path install(Path modelFolder, String name, Path resourcesRoot) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("Unknown embedded model name '" + name + "': use one of " + NAMES);
        }
        Path target = resourcesRoot.resolve(RESOURCE_ROOT).resolve(name);
        try {
            Files.createDirectories(target);
            for (String file : FILES) {
                Path source = modelFolder.resolve(file);
                if (!Files.isRegularFile(source)) {
                    throw new SdsatException("Cannot install " + modelFolder + " as embedded model '" + name + "': "
                            + file + " is missing (train it completely first)");
                }
                AtomicFiles.write(
                        target.resolve(file),
                        temporary -> Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING));
            }
        } catch (java.io.IOException e) {
            throw new SdsatException(
                    "Cannot install embedded model '" + name + "' into " + target + ": " + e.getMessage(), e);
        }
        return target;
    }

    /** Whether the embedded model {@code name} is packaged in this build. */
    public static boolean isAvailable(String name) {
        return EmbeddedModels.class.getClassLoader().getResource(RESOURCE_ROOT + name + "/" + WEIGHTS) != null;
    }

    /** The folder extracted embedded models go to: {@value #CACHE_PROPERTY}, else {@code ~/.cache/sdsat/models}. */
    public static Path cacheRoot() {
        String configured = System.getProperty(CACHE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "sdsat", "models");
    }

    /** Extracts the embedded model {@code name} below {@code cacheRoot} (once) and returns its folder. */
    static Path extract(String name, Path cacheRoot) {
        ClassLoader loader = EmbeddedModels.class.getClassLoader();
        for (String file : FILES) {
            if (loader.getResource(RESOURCE_ROOT + name + "/" + file) == null) {
                throw new SdsatException("The embedded model '" + name + "' is not built yet (resource "
                        + RESOURCE_ROOT + name + "/" + file + " is missing from the sdsat-runtime jar): pass a "
                        + "model folder with -Dsdsat.model=<folder>, or rebuild the embedded model with sdsat:train");
            }
        }
        String hash = sha256(loader, RESOURCE_ROOT + name + "/" + WEIGHTS).substring(0, 16);
        Path target = cacheRoot.resolve(name + "-" + hash);
        if (Files.isRegularFile(target.resolve(WEIGHTS))) {
            return target;
        }
        try {
            Files.createDirectories(cacheRoot);
            Path temporary = Files.createTempDirectory(cacheRoot, "." + name + "-" + hash + ".");
            try {
                for (String file : FILES) {
                    try (InputStream in = open(loader, RESOURCE_ROOT + name + "/" + file)) {
                        Files.copy(in, temporary.resolve(file));
                    }
                }
                try {
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temporary, target);
                }
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // Another build extracted the same weights first; its folder is complete (it was renamed whole).
            } finally {
                deleteRecursively(temporary);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new SdsatException(
                    "Cannot extract the embedded model '" + name + "' to " + target + ": "
                            + e.getMessage() + "; make the folder writable or choose another with -D" + CACHE_PROPERTY
                            + "=<folder>",
                    e);
        }
        if (!Files.isRegularFile(target.resolve(WEIGHTS))) {
            throw new SdsatException("Extracting the embedded model '" + name + "' left no " + WEIGHTS + " in " + target
                    + ": delete that folder and try again");
        }
        return target;
    }

    private static InputStream open(ClassLoader loader, String resource) throws IOException {
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("resource " + resource + " disappeared from the class path");
        }
        return in;
    }

    private static String sha256(ClassLoader loader, String resource) {
        try (InputStream in = new DigestInputStream(open(loader, resource), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of()
                    .formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new SdsatException("Cannot read the embedded resource " + resource + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
