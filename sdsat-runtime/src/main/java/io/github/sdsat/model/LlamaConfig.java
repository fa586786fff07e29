package io.github.sdsat.model;

import java.nio.file.Path;
import java.util.List;

/** TEMPORARY minimal version; replaced by the checkpoint branch. */
public record LlamaConfig(int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
        int headDim, int vocabSize, double rmsNormEps, double ropeTheta, int maxPositions, boolean tieWordEmbeddings,
        int bosTokenId, List<Integer> eosTokenIds, String torchDtype) {
    public static LlamaConfig load(Path configJson) {
        throw new UnsupportedOperationException();
    }
}
