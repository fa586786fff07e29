package io.github.sdsat.jlama;

import io.github.sdsat.bench.OptionValues;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.SdsatTwoStepDrafter;
import io.github.sdsat.model.EmbeddedModels;
import java.nio.file.Path;

/**
 * Command-line options of {@link JlamaComparison}.
 *
 * @param model model folder, or an embedded model name ({@code sdsat}, {@code base})
 * @param prompts how many HumanEval completion prompts, from the first
 * @param newTokens tokens generated per run (EOS is ignored, so every run emits exactly this many)
 * @param warmup prompts run by every engine before timing starts (the first prompts of the list)
 * @param decoder our second decoder, beside {@code ar}
 * @param k SAT tokens per draft for SDSAT decoders
 * @param jlamaThreads Jlama's thread count, 0 = Jlama's own default
 * @param ourThreads threads of our runtime's CPU pass (sdsat.cpuThreads), 0 = the runtime's own default
 * @param out folder for {@code results.json} and {@code table.md}
 */
public record ComparisonOptions(
        String model,
        int prompts,
        int newTokens,
        int warmup,
        String decoder,
        int k,
        int jlamaThreads,
        int ourThreads,
        Path out) {

    static final String USAGE = String.join(
            "\n",
            "usage: JlamaComparison [--prompts N] [--tokens N] [--warmup N] [--decoder NAME] [--k N]",
            "                       [--jlama-threads N] [--our-threads N] [--model FOLDER|sdsat|base] [--out FOLDER]",
            "  --prompts        first N HumanEval prompts (default 82, at most 164)",
            "  --tokens         new tokens per run, greedy, EOS ignored (default 256)",
            "  --warmup         prompts run untimed by every engine first (default 3)",
            "  --decoder        our second decoder beside ar: sdsat, sdsat-single-pass, sdsat-tree (default sdsat)",
            "  --k              SAT tokens per draft (default 5)",
            "  --jlama-threads  Jlama's threads (default: Jlama's own, max(2, cores/2))",
            "  --our-threads    threads of our runtime's CPU pass (sdsat.cpuThreads; default: the runtime's own)",
            "  --model          model folder or embedded model name (default sdsat)",
            "  --out            folder for results.json and table.md (default reports/jlama-comparison)");

    public ComparisonOptions {
        if (prompts < 1 || prompts > 164) {
            throw new IllegalArgumentException("--prompts must be 1..164 (HumanEval has 164 problems), got " + prompts);
        }
        if (newTokens < 2) {
            throw new IllegalArgumentException(
                    "--tokens must be at least 2 (one prefill token and one decode step), " + "got " + newTokens);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        }
        if (k < 1) {
            throw new IllegalArgumentException("--k must be >= 1, got " + k);
        }
        if (jlamaThreads < 0) {
            throw new IllegalArgumentException(
                    "--jlama-threads must be >= 0 (0 = Jlama's default), got " + jlamaThreads);
        }
        if (ourThreads < 0) {
            throw new IllegalArgumentException(
                    "--our-threads must be >= 0 (0 = the runtime's default), got " + ourThreads);
        }
        if (AutoregressiveDecoder.NAME.equals(decoder)) {
            throw new IllegalArgumentException("--decoder names the decoder compared beside ar; ar always runs, so "
                    + "choose another (sdsat, sdsat-single-pass, sdsat-tree)");
        }
    }

    /** Parses {@code --name value} pairs; unknown names and missing values are errors that show the usage. */
    public static ComparisonOptions parse(String... args) {
        String model = EmbeddedModels.DEFAULT;
        int prompts = 82;
        int newTokens = 256;
        int warmup = 3;
        String decoder = SdsatTwoStepDrafter.NAME;
        int k = 5;
        int jlamaThreads = 0;
        int ourThreads = 0;
        Path out = Path.of("reports", "jlama-comparison");
        for (OptionValues.Option option : OptionValues.options(args, USAGE)) {
            String name = option.flag();
            String value = option.value();
            switch (name) {
                case "--model" -> model = value;
                case "--prompts" -> prompts = OptionValues.integer(name, value, USAGE);
                case "--tokens" -> newTokens = OptionValues.integer(name, value, USAGE);
                case "--warmup" -> warmup = OptionValues.integer(name, value, USAGE);
                case "--decoder" -> decoder = value;
                case "--k" -> k = OptionValues.integer(name, value, USAGE);
                case "--jlama-threads" -> jlamaThreads = OptionValues.integer(name, value, USAGE);
                case "--our-threads" -> ourThreads = OptionValues.integer(name, value, USAGE);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("Unknown option " + name + "\n" + USAGE);
            }
        }
        return new ComparisonOptions(model, prompts, newTokens, warmup, decoder, k, jlamaThreads, ourThreads, out);
    }
}
