import io.github.sdsat.model.KvCache;
import io.github.sdsat.model.LlamaModel;
import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Passes of widths 1 and 4 at 0 and C cached tokens, alternating, after one prefill per cache: the attention's cost. */
public class AttnPasses {
    public static void main(String[] a) throws Exception {
        System.setProperty("sdsat.cpuThreads", "2");
        int cachedLen = Integer.parseInt(a[1]);
        int reps = Integer.parseInt(a[2]);
        try (LlamaModel m = LlamaModel.load(Path.of(a[0]), Device.cpu(), DataType.FLOAT32)) {
            int vocab = m.config().vocabSize();
            Random random = new Random(1);
            KvCache empty = m.newCache(32);
            KvCache full = m.newCache(cachedLen + 32);
            m.argmax(full, random.longs(cachedLen, 0, vocab).toArray(), range(0, cachedLen), null, cachedLen - 1);
            int[] widths = {1, 4};
            double[][][] t = new double[2][2][reps];
            for (int r = -2; r < reps; r++) {
                if (r == 0) System.out.println("PROFILE-START " + java.time.Instant.now());
                for (int c = 0; c < 2; c++) {
                    for (int wi = 0; wi < 2; wi++) {
                        int n = widths[wi];
                        int cached = c == 0 ? 0 : cachedLen;
                        KvCache cache = c == 0 ? empty : full;
                        long t0 = System.nanoTime();
                        m.argmax(cache, random.longs(n, 0, vocab).toArray(), range(cached, n), null, 0);
                        double ms = (System.nanoTime() - t0) / 1e6;
                        cache.truncate(cached);
                        if (r >= 0) t[c][wi][r] = ms;
                    }
                }
            }
            System.out.println("PROFILE-END " + java.time.Instant.now());
            for (int c = 0; c < 2; c++) for (int wi = 0; wi < 2; wi++) {
                double[] s = t[c][wi].clone(); Arrays.sort(s);
                System.out.printf("cached %d width %d: median %.1f ms%n", c == 0 ? 0 : cachedLen, widths[wi], s[reps / 2]);
            }
            empty.close(); full.close();
        }
    }

    static long[] range(long from, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) p[i] = from + i;
        return p;
    }
}
