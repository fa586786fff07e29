package io.github.sdsat.train;

import io.github.sdsat.SdsatException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The corpus of a {@link Trainer} run split into the files and texts it trains and evaluates on, and the fingerprints
 * that guard its saved states.
 *
 * @param fingerprint         the whole recipe's, corpus's and file list's hash (the SAT fine-tuning state)
 * @param pretrainFingerprint the hash of what pretraining depends on (a SAT-only change keeps the pretraining state)
 */
record TrainingInputs(
        PythonCorpus corpus,
        List<PythonCorpus.SourceFile> trainingFiles,
        List<PythonCorpus.SourceFile> heldOutFiles,
        List<String> trainingTexts,
        List<String> heldOutTexts,
        String fingerprint,
        String pretrainFingerprint) {

    static TrainingInputs of(TrainingRecipe recipe, PythonCorpus corpus, PrintStream log) {
        List<PythonCorpus.SourceFile> trainingFiles = corpus.trainingFiles();
        if (recipe.corpusMaxFiles() > 0 && trainingFiles.size() > recipe.corpusMaxFiles()) {
            trainingFiles = trainingFiles.subList(0, recipe.corpusMaxFiles());
        }
        List<PythonCorpus.SourceFile> heldOutFiles = corpus.heldOutFiles();
        if (trainingFiles.isEmpty() || heldOutFiles.isEmpty()) {
            throw new SdsatException("The corpus in " + corpus.root() + " has " + trainingFiles.size()
                    + " training and " + heldOutFiles.size() + " held-out files: it needs both (pass a larger "
                    + "folder of Python sources)");
        }
        log.printf(
                "[train] recipe %s, corpus %s: %d training files, %d held-out files, sha256 %s%n",
                recipe.name(), corpus.root(), trainingFiles.size(), heldOutFiles.size(), corpus.sha256());
        return new TrainingInputs(
                corpus,
                trainingFiles,
                heldOutFiles,
                trainingFiles.stream().map(corpus::read).toList(),
                heldOutFiles.stream().map(corpus::read).toList(),
                fingerprint(recipe, corpus, trainingFiles),
                fingerprint(recipe.pretrainingSettings(), corpus, trainingFiles));
    }

    /** Hash of the settings (a recipe, or part of one), the corpus and the file list: guards resumed states. */
    static String fingerprint(Object settings, PythonCorpus corpus, List<PythonCorpus.SourceFile> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(TrainFiles.JSON.writeValueAsBytes(settings));
            digest.update(corpus.sha256().getBytes(StandardCharsets.UTF_8));
            for (PythonCorpus.SourceFile f : files) {
                digest.update(f.relativePath().getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (Exception e) {
            throw new SdsatException("Cannot fingerprint the recipe: " + e.getMessage(), e);
        }
    }
}
