package io.github.sdsat.bench;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.dataset.PromptEncoder;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import io.github.sdsat.model.DeviceChoice;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.model.EmbeddedModels;
import io.github.sdsat.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Native-memory soak (issue 11): many consecutive generations in one JVM, sampling the process's resident memory
 * ({@code VmRSS} of {@code /proc/self/status}) and the model's live DJL arrays every few generations, so that a leak
 * per generation shows as a rising column. Not part of the build or the tests; run it by hand:
 *
 * <pre>
 * mvn -o -q -pl sdsat-runtime exec:java -Dexec.mainClass=io.github.sdsat.bench.SoakBenchmark \
 *     -Dexec.args="--greedy 1000 --sampled 200 --every 50 --tokens 64 --k 5 --model sdsat"
 * </pre>
 *
 * Greedy generations come first (two-step {@code sdsat}, the paper's decoder), then sampled ones (the same decoder at
 * temperature 0.8, lossless rule), cycling over the HumanEval completion prompts. Prints one line per sample.
 */
public final class SoakBenchmark {

    /** One measurement after {@code generations} generations. */
    public record Sample(int generations, long rssKb, int liveArrays, long heapUsedKb) {}

    private record Options(int greedy, int sampled, int every, int tokens, int k, String model, String device) {
        static Options parse(String[] args) {
            int greedy = 1000;
            int sampled = 200;
            int every = 50;
            int tokens = 64;
            int k = 5;
            String model = EmbeddedModels.DEFAULT;
            String device = "cpu";
            for (OptionValues.Option option : OptionValues.options(args, USAGE)) {
                String flag = option.flag();
                String value = option.value();
                switch (flag) {
                    case "--greedy" -> greedy = nonNegative(flag, value);
                    case "--sampled" -> sampled = nonNegative(flag, value);
                    case "--every" -> every = Math.max(1, nonNegative(flag, value));
                    case "--tokens" -> tokens = Math.max(1, nonNegative(flag, value));
                    case "--k" -> k = Math.max(1, nonNegative(flag, value));
                    case "--model" -> model = value;
                    case "--device" -> device = value;
                    default -> throw new IllegalArgumentException("unknown option " + flag + "; " + USAGE);
                }
            }
            return new Options(greedy, sampled, every, tokens, k, model, device);
        }

        private static int nonNegative(String flag, String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(flag + " must be a non-negative integer, got '" + value + "'");
        }
    }

    private static final String USAGE = "usage: SoakBenchmark [--greedy N] [--sampled N] [--every N] [--tokens N] "
            + "[--k N] [--model sdsat|base|folder] [--device cpu|gpu]";

    private SoakBenchmark() {}

    /** Resident set size of this process in KiB, from /proc/self/status; -1 where there is no /proc (not Linux). */
    static long residentKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or an unexpected format: report "unknown".
        }
        return -1;
    }

    /** Runs the soak on a loaded model and returns the samples (the first one before any generation). */
    static List<Sample> run(LoadedModel loaded, int greedy, int sampled, int every, int tokens, int k) {
        PromptEncoder encoder =
                new PromptEncoder(loaded.tokenizer(), loaded.model().config().eosTokenIds());
        List<long[]> prompts = new ArrayList<>();
        for (Task task : HumanEval.completionTasks()) {
            prompts.add(encoder.encode(task));
        }
        Decoder decoder = Decoders.create(SdsatTwoStepDrafter.NAME, loaded.model(), loaded.satToken());
        List<Sample> samples = new ArrayList<>();
        samples.add(sample(loaded, 0));
        for (int g = 1; g <= greedy + sampled; g++) {
            GenerationConfig.Builder config =
                    GenerationConfig.builder().maxNewTokens(tokens).k(k);
            if (g > greedy) {
                config.temperature(0.8).sampling(SamplingMode.LOSSLESS).seed(g);
            }
            decoder.generate(prompts.get((g - 1) % prompts.size()), config.build());
            if (g % every == 0 || g == greedy + sampled) {
                samples.add(sample(loaded, g));
            }
        }
        return samples;
    }

    private static Sample sample(LoadedModel loaded, int generations) {
        Runtime runtime = Runtime.getRuntime();
        return new Sample(
                generations,
                residentKb(),
                loaded.model().manager().getManagedArrays().size(),
                (runtime.totalMemory() - runtime.freeMemory()) / 1024);
    }

    public static void main(String[] args) {
        DjlOffline.enable(); // before the first engine call: DJL must never go online
        Options options = Options.parse(args);
        Path folder = EmbeddedModels.resolve(options.model());
        try (LoadedModel loaded = LoadedModel.open(folder, DeviceChoice.resolve(options.device(), "auto"), null)) {
            System.out.println("Soak: " + folder + " on " + loaded.model().backend() + ", " + options.greedy()
                    + " greedy + " + options.sampled() + " sampled generations (sdsat, k=" + options.k() + ", "
                    + options.tokens() + " tokens), a sample every " + options.every());
            System.out.println("generations  VmRSS_MiB  live_arrays  heap_used_MiB");
            List<Sample> samples =
                    run(loaded, options.greedy(), options.sampled(), options.every(), options.tokens(), options.k());
            for (Sample s : samples) {
                System.out.println(String.format(
                        Locale.ROOT,
                        "%11d  %9.1f  %11d  %13.1f",
                        s.generations(),
                        s.rssKb() / 1024.0,
                        s.liveArrays(),
                        s.heapUsedKb() / 1024.0));
            }
        }
    }
}
