package io.github.sdsat.accuracy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.LineCompletionGate;
import io.github.sdsat.results.LineCompletionRecord;
import io.github.sdsat.results.PairedDifference;
import io.github.sdsat.results.RunResults;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The line-completion stage on the embedded pair: every greedy decoder writes exactly {@code ar}'s lines; the shipped
 * pair passes the gate on every bundled item and a mutant (the SDSAT model with noise on its weights, a few percent
 * more held-out loss) fails it. Figures are printed for the report.
 */
class LineCompletionStageTest {
    private static final DeviceChoice CPU = DeviceChoice.resolve("cpu", "float32");

    @Test
    void greedyDecodersWriteExactlyArsLines(@TempDir Path folder) throws Exception {
        DjlOffline.enable();
        LineCompletionStage stage = LineCompletionStage.prepare(LineCompletionConfig.defaults()
                .withItemFraction(24.0 / LineCompletionDatasetBuilder.DEFAULT_ITEMS)
                .withDecoderItemFraction(1.0));
        try (LoadedModel sdsat = LoadedModel.open(EmbeddedModels.resolve("sdsat"), CPU, null);
                LoadedModel base = LoadedModel.open(EmbeddedModels.resolve("base"), CPU, null)) {
            LineCompletionStage.Result result = stage.run(sdsat, base, System.out::println);
            LineCompletionGate gate = result.gate();
            int decoders = stage.config().decoders().size();
            assertThat(decoders).isGreaterThanOrEqualTo(5);
            assertThat(result.records()).hasSize(24 * (decoders + 2));
            assertThat(gate.decoders()).hasSize(decoders);
            assertThat(gate.decoderMismatches()).isEmpty();
            assertThat(gate.failures()).noneMatch(f -> f.startsWith("greedy decoders"));
            // every line a decoder wrote is one line: generation stopped at the newline
            assertThat(result.records()).allMatch(r -> !r.predicted().contains("\n"));

            // results.json keeps the records and the verdict; a results.json without them still reads
            RunResults written = RunResults.of(
                            Map.of(),
                            Environment.detect(
                                    "cpu()", "float32", null, sdsat.folder().toString(), null, null),
                            List.of())
                    .withLineCompletion(result.records(), gate);
            ResultFiles.write(folder, written);
            RunResults read = ResultFiles.read(folder);
            assertThat(read.lineCompletionGate()).isEqualTo(gate);
            assertThat(read.lineCompletion()).isEqualTo(result.records());
            ObjectMapper mapper = ResultFiles.mapper();
            Map<String, Object> old = mapper.convertValue(written, Map.class);
            old.remove("lineCompletion");
            old.remove("lineCompletionGate");
            RunResults before = mapper.convertValue(old, RunResults.class);
            assertThat(before.lineCompletion()).isEmpty();
            assertThat(before.lineCompletionGate()).isNull();
        }
    }

    @Test
    void shippedPairPassesAndAMutantWithMoreHeldOutLossFails(@TempDir Path folder) throws Exception {
        DjlOffline.enable();
        LineCompletionStage stage = LineCompletionStage.prepare(
                LineCompletionConfig.defaults().withDecoders(List.of(), LineCompletionConfig.DEFAULT_K));
        Path sdsatFolder = EmbeddedModels.resolve("sdsat");
        LineCompletionStage.ModelOutcome base;
        try (LoadedModel loaded = LoadedModel.open(EmbeddedModels.resolve("base"), CPU, null)) {
            base = stage.measure(LineCompletionStage.BASE_MODEL, loaded, List.of(), s -> {});
        }
        LineCompletionGate shipped;
        try (LoadedModel loaded = LoadedModel.open(sdsatFolder, CPU, null)) {
            shipped = stage.gate(stage.measure(LineCompletionStage.SDSAT_MODEL, loaded, List.of(), s -> {}), base);
        }
        Path mutantFolder = PerturbedModel.write(sdsatFolder, folder.resolve("mutant"), MUTANT_NOISE, 7);
        LineCompletionGate mutant;
        try (LoadedModel loaded = LoadedModel.open(mutantFolder, CPU, null)) {
            mutant = stage.gate(stage.measure(LineCompletionStage.SDSAT_MODEL, loaded, List.of(), s -> {}), base);
        }
        print("shipped", shipped);
        print("mutant", mutant);
        assertThat(shipped.failures()).isEmpty();
        assertThat(shipped.passed()).isTrue();
        assertThat(shipped.discrimination().get(0).informative()).isTrue();
        double loss =
                mutant.models().get(0).bitsPerByte() / shipped.models().get(0).bitsPerByte() - 1;
        assertThat(loss).as("the mutant's held-out loss increase").isBetween(0.02, 0.08);
        assertThat(mutant.passed()).isFalse();
        assertThat(mutant.failures()).isNotEmpty();
    }

    /** Noise on every weight, in units of the tensor's standard deviation: about 4% more held-out loss. */
    static final double MUTANT_NOISE = 0.1;

    private static void print(String label, LineCompletionGate gate) {
        gate.models()
                .forEach(m -> System.out.printf(
                        "%s %s: EM %.4f [%.4f, %.4f], ES %.4f [%.4f, %.4f], %.4f bits per byte [%.4f, %.4f]%n",
                        label,
                        m.model(),
                        m.exactMatch(),
                        m.exactMatchCiLow(),
                        m.exactMatchCiHigh(),
                        m.editSimilarity(),
                        m.editSimilarityCiLow(),
                        m.editSimilarityCiHigh(),
                        m.bitsPerByte(),
                        m.bitsPerByteCiLow(),
                        m.bitsPerByteCiHigh()));
        for (PairedDifference d : gate.differences()) {
            System.out.printf(
                    "%s %s difference %+.4f [%+.4f, %+.4f], %d better, %d worse%n",
                    label, d.measure(), d.difference(), d.ciLow(), d.ciHigh(), d.better(), d.worse());
        }
        System.out.printf(
                "%s: power %.3f against an EM drop of %.2f; passed %s; failures %s%n",
                label, gate.power(), gate.degradation(), gate.passed(), gate.failures());
    }

    static boolean isAr(LineCompletionRecord record) {
        return record.decoder().equals(AutoregressiveDecoder.NAME);
    }
}
