package io.github.sdsat.bench;

import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.SafetensorsDtype;
import io.github.sdsat.model.SafetensorsWriter;
import io.github.sdsat.train.BpeTokenizerTrainer;
import io.github.sdsat.train.SyntheticPython;
import io.github.sdsat.train.TrainedBpe;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a complete, random-weight Hugging Face model folder (config.json, tokenizer.json, tokenizer_config.json,
 * model.safetensors) small enough to commit: a byte-level BPE tokenizer with the project's special tokens
 * (BOS, EOS, FIM sentinels, {@code <sat>}) trained on synthetic Python, and a 2-layer Llama with grouped-query
 * attention and tied embeddings. Everything is derived from the seed, so the same seed gives the same bytes.
 *
 * <p>Greedy SDSAT must equal greedy autoregressive decoding for any weights, so random weights exercise the whole
 * benchmark path; acceptance rates are of course meaningless.
 */
public final class TinyModelFolder {
    /** Merges learned beyond the specials and the 256 byte tokens. */
    public static final int MERGES = 64;
    /** Context length: long enough for any HumanEval prompt with this small vocabulary plus new tokens. */
    public static final int MAX_POSITIONS = 4096;

    private TinyModelFolder() {}

    /** Writes the folder (created if needed) and returns it. */
    public static Path write(Path folder, long seed) {
        return write(folder, seed, SafetensorsDtype.F32);
    }

    /** As {@link #write(Path, long)} with every tensor stored in {@code dtype} (rounded from the same floats). */
    public static Path write(Path folder, long seed, SafetensorsDtype dtype) {
        List<String> specials = BpeTokenizerTrainer.DEFAULT_SPECIAL_TOKENS;
        BpeTokenizerTrainer trainer =
                new BpeTokenizerTrainer(BpeTokenizerTrainer.Options.withVocabSize(specials.size() + 256 + MERGES));
        trainer.addText(SyntheticPython.source(seed, 120));
        TrainedBpe bpe = trainer.train();
        bpe.writeTo(folder);
        int bos = specials.indexOf("<s>");
        int eos = specials.indexOf("</s>");
        LlamaConfig config = new LlamaConfig(
                32, 64, 2, 4, 2, 8, bpe.vocabSize(), 1e-5, 10000.0, MAX_POSITIONS, true, bos, List.of(eos), "float32");
        config.write(folder.resolve("config.json"));
        Random random = new Random(seed);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        config.tensorShapes().forEach((name, shape) -> {
            long count = 1;
            for (long dim : shape) {
                count *= dim;
            }
            float[] data = new float[(int) count];
            boolean norm = name.endsWith("norm.weight");
            for (int i = 0; i < data.length; i++) {
                // Norm gains near 1 as in a trained model; projections with std 0.2 so logits are not all ties.
                data[i] = norm ? 1f + 0.1f * (float) random.nextGaussian() : 0.2f * (float) random.nextGaussian();
            }
            tensors.put(name, new SafetensorsWriter.Tensor(dtype, shape, data));
        });
        SafetensorsWriter.write(folder.resolve("model.safetensors"), tensors);
        return folder;
    }

    /** Regenerates a folder from the command line: {@code TinyModelFolder <folder> [seed]}. */
    public static void main(String[] args) {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: TinyModelFolder <folder> [seed]");
        }
        write(Path.of(args[0]), args.length > 1 ? Long.parseLong(args[1]) : 7L);
    }
}
