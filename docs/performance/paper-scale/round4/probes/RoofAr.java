import io.github.sdsat.bench.Roofline;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.GenerationResult;
import io.github.sdsat.model.LlamaModel;
import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.*;

/** AR decode time per token beside the read bandwidth, alternating, in one process: the AR-loop share of the roofline. */
public class RoofAr {
    public static void main(String[] a) throws Exception {
        System.setProperty("sdsat.cpuThreads", "2");
        Roofline.Settings s = new Roofline.Settings(List.of(512_000_000L), List.of(2), 20, 6.0, 256_000_000L);
        try (LlamaModel m = LlamaModel.load(Path.of(a[0]), Device.cpu(), DataType.FLOAT32)) {
            long bytes = m.weightBytesPerPass();
            System.out.println("backend " + m.backend() + " java " + System.getProperty("java.version") + " bytes " + bytes);
            long[] prompt = new Random(2).longs(100, 0, m.config().vocabSize()).toArray();
            AutoregressiveDecoder ar = new AutoregressiveDecoder(m);
            ar.generate(prompt, GenerationConfig.greedy(8));
            for (int rep = 0; rep < 4; rep++) {
                double gbs = Roofline.measure(s).bandwidth().get(0).gbPerSecond();
                GenerationResult r = ar.generate(prompt, GenerationConfig.greedy(64));
                double ms = r.stats().decodeMs() / (r.stats().newTokens() - 1);
                double floor = bytes / gbs / 1e6;
                System.out.printf(Locale.ROOT, "round %d: roofline %.1f GB/s (floor %.0f ms), AR decode %.1f ms/token = %.1f GB/s, %.0f%% of roofline%n",
                        rep + 1, gbs, floor, ms, bytes / ms / 1e6, 100 * floor / ms);
            }
        }
    }
}
