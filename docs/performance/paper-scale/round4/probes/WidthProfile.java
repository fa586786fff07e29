import io.github.sdsat.bench.PassTimings;
import io.github.sdsat.model.LlamaModel;
import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;

/** Passes of one width, many times, for a JFR profile of where a pass of that width spends its time. */
public class WidthProfile {
    public static void main(String[] a) throws Exception {
        System.setProperty("sdsat.cpuThreads", "2");
        int width = Integer.parseInt(a[1]);
        try (LlamaModel m = LlamaModel.load(Path.of(a[0]), Device.cpu(), DataType.FLOAT32)) {
            PassTimings.medians(m, 0, List.of(width), 2); // warm-up
            System.out.println("PROFILE-START " + System.nanoTime());
            System.out.println("T(" + width + ") " + PassTimings.medians(m, 0, List.of(width), Integer.parseInt(a[2])));
        }
    }
}
