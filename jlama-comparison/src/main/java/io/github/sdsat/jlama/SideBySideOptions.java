package io.github.sdsat.jlama;

import io.github.sdsat.bench.OptionValues;
import java.nio.file.Path;

/**
 * Command-line options of {@link Bf16SideBySide}.
 *
 * @param model the model folder (config.json, tokenizer.json, safetensors shards); required
 * @param task index of the HumanEval completion prompt (0..163), used when {@code prompt} is null
 * @param prompt prompt text instead of a HumanEval task (encoded by our tokenizer, BOS first), or null
 * @param newTokens new tokens per timed run (EOS ignored by both engines)
 * @param rounds rounds; each round runs one process per engine, the order alternating (ABBA)
 * @param warmup untimed runs at the start of each process
 * @param warmupTokens new tokens per untimed run (capped at {@code newTokens})
 * @param runs timed runs per process
 * @param threads threads of both engines (Jlama's PhysicalCoreExecutor, our sdsat.cpuThreads)
 * @param jlamaXmxGiB heap of Jlama's processes in GiB (also their direct-memory limit), 0 = estimated
 * @param arXmxGiB heap of our processes in GiB, 0 = estimated from the stored weights and the KV cache
 * @param out folder for results.json, table.md and the per-process JSON files
 */
public record SideBySideOptions(
        Path model,
        int task,
        String prompt,
        int newTokens,
        int rounds,
        int warmup,
        int warmupTokens,
        int runs,
        int threads,
        int jlamaXmxGiB,
        int arXmxGiB,
        Path out) {

    static final String USAGE = String.join(
            "\n",
            "usage: Bf16SideBySide --model FOLDER [--task N | --prompt TEXT] [--tokens N] [--rounds N] [--warmup N]",
            "                      [--warmup-tokens N] [--runs N] [--threads N] [--jlama-xmx GiB] [--ar-xmx GiB]",
            "                      [--out FOLDER]",
            "  --model          model folder (config.json, tokenizer.json, safetensors), e.g. a BF16 widening",
            "  --task           HumanEval completion prompt by index, 0..163 (default 0)",
            "  --prompt         prompt text instead (our tokenizer, BOS first); a short one keeps the prefill short",
            "  --tokens         new tokens per timed run, greedy, EOS ignored (default 32)",
            "  --rounds         rounds of one Jlama and one ar process, order alternating (default 3)",
            "  --warmup         untimed runs at the start of every process (default 1)",
            "  --warmup-tokens  new tokens per untimed run (default 8)",
            "  --runs           timed runs per process (default 2)",
            "  --threads        threads of both engines (default 2)",
            "  --jlama-xmx      heap of Jlama's processes in GiB (default: estimated; weights are mapped, off heap)",
            "  --ar-xmx         heap of our processes in GiB (default: estimated from the weights and KV cache)",
            "  --out            folder for results.json, table.md and each process's JSON "
                    + "(default reports/jlama-bf16)");

    public SideBySideOptions {
        if (model == null) {
            throw new IllegalArgumentException("--model is required: the model folder both engines load\n" + USAGE);
        }
        if (prompt == null && (task < 0 || task > 163)) {
            throw new IllegalArgumentException("--task must be 0..163 (HumanEval has 164 problems), got " + task);
        }
        if (prompt != null && prompt.isBlank()) {
            throw new IllegalArgumentException("--prompt is empty: give some text, or use --task N");
        }
        if (newTokens < 2) {
            throw new IllegalArgumentException(
                    "--tokens must be at least 2 (one prefill token and one decode step), got " + newTokens);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        }
        if (warmupTokens < 2) {
            throw new IllegalArgumentException("--warmup-tokens must be at least 2, got " + warmupTokens);
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be >= 1 (timed runs per process), got " + runs);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        if (jlamaXmxGiB < 0 || arXmxGiB < 0) {
            throw new IllegalArgumentException(
                    "--jlama-xmx and --ar-xmx are GiB >= 1 (0 = estimated), got " + jlamaXmxGiB + " and " + arXmxGiB);
        }
    }

    /** New tokens of an untimed run. */
    int warmupRunTokens() {
        return Math.min(warmupTokens, newTokens);
    }

    /** Parses {@code --name value} pairs; unknown names and missing values are errors that show the usage. */
    public static SideBySideOptions parse(String... args) {
        Path model = null;
        int task = 0;
        String prompt = null;
        int newTokens = 32;
        int rounds = 3;
        int warmup = 1;
        int warmupTokens = 8;
        int runs = 2;
        int threads = 2;
        int jlamaXmx = 0;
        int arXmx = 0;
        Path out = Path.of("reports", "jlama-bf16");
        for (OptionValues.Option option : OptionValues.options(args, USAGE)) {
            String name = option.flag();
            String value = option.value();
            switch (name) {
                case "--model" -> model = Path.of(value);
                case "--task" -> task = OptionValues.integer(name, value, USAGE);
                case "--prompt" -> prompt = value;
                case "--tokens" -> newTokens = OptionValues.integer(name, value, USAGE);
                case "--rounds" -> rounds = OptionValues.integer(name, value, USAGE);
                case "--warmup" -> warmup = OptionValues.integer(name, value, USAGE);
                case "--warmup-tokens" -> warmupTokens = OptionValues.integer(name, value, USAGE);
                case "--runs" -> runs = OptionValues.integer(name, value, USAGE);
                case "--threads" -> threads = OptionValues.integer(name, value, USAGE);
                case "--jlama-xmx" -> jlamaXmx = OptionValues.integer(name, value, USAGE);
                case "--ar-xmx" -> arXmx = OptionValues.integer(name, value, USAGE);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("Unknown option " + name + "\n" + USAGE);
            }
        }
        return new SideBySideOptions(
                model, task, prompt, newTokens, rounds, warmup, warmupTokens, runs, threads, jlamaXmx, arXmx, out);
    }
}
