import io.github.sdsat.bench.PassTimings;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.LlamaModel;
import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.*;

/** Is T(1) of the cost curve the loop's one-token cost? Phases in one process: T(1) alone, mixed widths, T(1) alone, AR decode. */
public class T1Probe {
    public static void main(String[] a) throws Exception {
        System.setProperty("sdsat.cpuThreads", "2");
        int cached = 167;
        try (LlamaModel m = LlamaModel.load(Path.of(a[0]), Device.cpu(), DataType.FLOAT32)) {
            System.out.println("backend " + m.backend() + " java " + System.getProperty("java.version"));
            long[] prompt = new Random(2).longs(100, 0, m.config().vocabSize()).toArray();
            AutoregressiveDecoder ar = new AutoregressiveDecoder(m);
            for (int rep = 0; rep < 2; rep++) {
                System.out.println("T(1) alone: " + PassTimings.medians(m, cached, List.of(1), 9));
                System.out.println("mixed: " + PassTimings.medians(m, cached, List.of(1, 2, 4, 6, 9), 5));
                System.out.println("T(1) alone after mixed: " + PassTimings.medians(m, cached, List.of(1), 9));
                GenerationResult r = ar.generate(prompt, GenerationConfig.greedy(40));
                System.out.printf(Locale.ROOT, "AR decode ms/token %.1f (prefill %.0f ms)%n",
                        r.stats().decodeMs() / (r.stats().newTokens() - 1), r.stats().prefillMs());
                System.out.println("T(1) alone after AR: " + PassTimings.medians(m, cached, List.of(1), 9));
            }
        }
    }
}
