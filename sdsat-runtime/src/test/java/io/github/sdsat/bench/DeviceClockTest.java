package io.github.sdsat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every clock read that a timing is made of goes through {@link LlamaModel#clock()}, the read that first waits for
 * the device (on a GPU, ops run asynchronously): a generation's start, prefill end and end, and both ends of each
 * pass the cost curve times. Checked on the CPU by counting the model's clock reads.
 */
class DeviceClockTest {
    private static final LlamaConfig CONFIG = TinyModels.config(32, 2, 4, 2, 64, false, 10000.0);

    @Test
    void aGenerationReadsTheDeviceClockAtItsStartPrefillEndAndEnd() {
        try (LlamaModel model = TinyModels.model(CONFIG, 3)) {
            for (String decoder : List.of("ar", "sdsat", "sdsat-single-pass", "lookup")) {
                long before = model.clockReads();
                Decoders.create(decoder, model, 5)
                        .generate(
                                new long[] {1, 2, 3},
                                GenerationConfig.builder().maxNewTokens(6).k(2).build());
                assertThat(model.clockReads() - before).as(decoder).isEqualTo(3);
            }
        }
    }

    @Test
    void passTimingsTimeEveryPassBetweenTwoDeviceClockReads() {
        try (LlamaModel model = TinyModels.model(CONFIG, 4)) {
            long before = model.clockReads();
            int rounds = 3;
            List<Integer> widths = List.of(1, 2, 4);
            PassTimings.medians(model, 8, widths, rounds);
            // rounds + 1 (the warm-up round) passes per width, two reads each
            assertThat(model.clockReads() - before).isEqualTo(2L * (rounds + 1) * widths.size());
        }
    }
}
