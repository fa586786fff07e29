package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.decode.DraftVerifyDecoder;
import io.github.sdsat.decode.SdsatSinglePassDecoder;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import io.github.sdsat.model.DjlOffline;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The one-shot check of the GPU path ({@code scripts/gpu-check.sh}): on a machine lent for a few minutes, with no
 * network and no Maven, it runs the reproduction protocol on the first HumanEval prompts (greedy AR, the two-step
 * and single-pass SDSAT decoders and prompt lookup, interleaved per prompt, every output compared id by id with
 * AR's) and prints one summary: the device and its GPU, identical outputs per decoder, speedups beside their
 * ceilings, and the weight bandwidth AR achieves. Writes nothing; exits 1 when any greedy output differs from AR's.
 *
 * <p>Usage: {@code GpuCheck --model DIR [--device gpu] [--prompts 20] [--tokens 128] [--k 3]}
 */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) {
        DjlOffline.enable(); // before the first engine call: no telemetry traffic
        Path model = null;
        String device = "gpu";
        int prompts = 20;
        int tokens = 128;
        int k = 3;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Missing value after " + args[i] + ": usage GpuCheck --model DIR "
                        + "[--device gpu] [--prompts 20] [--tokens 128] [--k 3]");
            }
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--device" -> device = args[++i];
                case "--prompts" -> prompts = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--k" -> k = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("Unknown argument " + args[i]);
            }
        }
        if (model == null || !Files.isDirectory(model)) {
            throw new SdsatException("--model must name a model folder, got " + model);
        }
        ReproductionConfig config = ReproductionConfig.builder()
                .model(model)
                .device(device)
                .datasets(List.of(HumanEval.COMPLETION_DATASET))
                .dataLimit((double) prompts / HumanEval.PROBLEM_COUNT)
                .kList(List.of(k))
                .decoders(List.of(SdsatTwoStepDrafter.NAME, SdsatSinglePassDecoder.NAME, DraftVerifyDecoder.LOOKUP))
                .temperatures(List.of(0.0))
                .maxNewTokens(tokens)
                .warmup(1)
                .outputDirectory(Path.of(System.getProperty("java.io.tmpdir")))
                .runId("gpu-check")
                .build();
        ReproductionRun.Listener listener = new ReproductionRun.Listener() {
            @Override
            public void info(String message) {
                System.out.println("[gpu-check] " + message);
            }
        };
        long start = System.nanoTime();
        RunResults results = new ReproductionRunner(ReproductionPlan.of(config), listener).run(null);
        boolean allIdentical = print(results, (System.nanoTime() - start) / 1e9);
        System.exit(allIdentical ? 0 : 1);
    }

    /** Prints the summary; returns whether every greedy row's outputs equal AR's on every prompt. */
    static boolean print(RunResults results, double seconds) {
        Environment e = results.environment();
        System.out.println("== gpu-check summary ==");
        System.out.printf(
                Locale.ROOT,
                "device %s%s, dtype %s, backend %s, %.0f s%n",
                e.device(),
                e.gpu() == null ? "" : " (" + e.gpu() + ")",
                e.dtype(),
                e.backend(),
                seconds);
        if (e.arWeightGBps() != null) {
            System.out.printf(
                    Locale.ROOT,
                    "AR reads %.1f MB of weights per token at %.1f GB/s%n",
                    e.weightBytesPerPass() / 1e6,
                    e.arWeightGBps());
        }
        boolean allIdentical = true;
        System.out.println("decoder            k  prompts  identical  speedup  ceiling  tokens/forward  tokens/s");
        for (RowSummary r : results.rows()) {
            boolean identical = r.identicalToBaseline() == null || r.identicalToBaseline() == r.prompts();
            allIdentical &= identical;
            System.out.printf(
                    Locale.ROOT,
                    "%-18s %2d  %7d  %4d/%-4d  %7s  %7s  %14s  %8.1f%n",
                    r.decoder(),
                    r.k(),
                    r.prompts(),
                    r.identicalToBaseline() == null ? r.prompts() : r.identicalToBaseline(),
                    r.prompts(),
                    format(r.speedup()),
                    format(r.ceilingSpeedup()),
                    format(r.tokensPerForward()),
                    r.tokensPerSecond());
        }
        System.out.println(
                allIdentical
                        ? "greedy equivalence: every output identical to AR"
                        : "greedy equivalence: FAILED (see the identical column)");
        return allIdentical;
    }

    private static String format(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.2f", value);
    }
}
