package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.dataset.Datasets;
import io.github.sdsat.dataset.Task;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.Decoder;
import io.github.sdsat.decode.Decoders;
import io.github.sdsat.decode.GenerationConfig;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.decode.SdsatTreeDecoder;
import io.github.sdsat.model.LoadedModel;
import io.github.sdsat.report.ResultFiles;
import io.github.sdsat.report.ShardFolders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a reproduction runs, settled before any model loads: the validated configuration, this shard's tasks, and
 * the method configurations expanded from it (decoder × k × temperature × sampling rule); once the model is loaded,
 * the plan asks each decoder whether it serves each configuration and how many cache positions it needs
 * ({@link #checkLimits}), so that every problem is reported before the first generation.
 */
final class ReproductionPlan {
    /** One measured configuration other than the greedy baseline. */
    record Method(String decoder, int k, double temperature, SamplingMode sampling) {
        boolean isGreedy() {
            return temperature == 0.0;
        }
    }

    private final ReproductionConfig config;
    private final List<Task> tasks;
    private final List<Method> methods;

    private ReproductionPlan(ReproductionConfig config, List<Task> tasks, List<Method> methods) {
        this.config = config;
        this.tasks = tasks;
        this.methods = methods;
    }

    /** Validates {@code config} (every problem at once) and expands its methods. */
    static ReproductionPlan of(ReproductionConfig config) {
        return new ReproductionPlan(config, validate(config), methods(config));
    }

    ReproductionConfig config() {
        return config;
    }

    /** Logit margin below which a greedy difference from the baseline is a numerical tie. */
    double tieMargin() {
        return config.gates().tieMargin();
    }

    /** This shard's tasks, per dataset in the configured order. */
    List<Task> tasks() {
        return tasks;
    }

    /** The method configurations measured per prompt after the baseline(s), in run order. */
    List<Method> methods() {
        return methods;
    }

    /** Baseline and method configurations per prompt. */
    int configurationsPerPrompt() {
        return baselineTemperatures().size() + methods.size();
    }

    /**
     * Checks every parameter that can be checked without the model, and loads the datasets.
     *
     * @return the tasks of this shard, per dataset in the given order
     * @throws IllegalArgumentException or {@link SdsatException} listing every problem found, with its
     *     parameter name and the fix
     */
    static List<Task> validate(ReproductionConfig config) {
        List<String> problems = new ArrayList<>();
        try {
            ShardFolders.checkRunId(config.runId());
        } catch (IllegalArgumentException e) {
            problems.add("sdsat.runId: " + e.getMessage());
        }
        if (config.kList().isEmpty()
                && config.runsGreedy()
                && !config.decoders().isEmpty()) {
            problems.add("sdsat.kList is empty: give k values for the greedy rows, e.g. 1,3,5");
        }
        checkKs("sdsat.kList", config.kList(), problems);
        checkKs("sdsat.samplingKList", config.samplingKList(), problems);
        checkDecoders("sdsat.decoders", config.decoders(), problems);
        checkDecoders("sdsat.samplingDecoders", config.samplingDecoders(), problems);
        if (config.temperatures().isEmpty()) {
            problems.add("sdsat.temperatures is empty: give at least 0 (greedy), e.g. 0,0.2,1.0");
        }
        for (double t : config.temperatures()) {
            if (!(t >= 0.0) || Double.isInfinite(t)) {
                problems.add("sdsat.temperatures: " + t + " is not a temperature; use 0 (greedy) or a positive "
                        + "number such as 0.2 or 1.0");
            }
        }
        if (!config.samplingTemperatures().isEmpty()) {
            if (config.samplingDecoders().isEmpty()) {
                problems.add("sdsat.temperatures " + config.samplingTemperatures() + " asks for sampling rows but"
                        + " no sampling decoder is set"
                        + (ReproductionRun.availableSamplingDecoders().isEmpty()
                                ? " and this build has none (" + SdsatTreeDecoder.NAME
                                        + " is not available): use -Dsdsat.temperatures=0"
                                : ": set sdsat.samplingDecoders, e.g. " + SdsatTreeDecoder.NAME));
            }
            if (config.samplingKList().isEmpty()) {
                problems.add("sdsat.samplingKList is empty: give the k values of the sampling rows, e.g. 5,7,9");
            }
            if (config.samplingModes().isEmpty()) {
                problems.add("sdsat.samplingModes is empty: give paper, lossless or both");
            }
        }
        if (!(config.dataLimit() > 0.0 && config.dataLimit() <= 1.0)) {
            problems.add("sdsat.dataLimit " + config.dataLimit() + " is outside (0, 1]: give the share of each "
                    + "dataset to run, e.g. 0.5 (the paper's first half) or 1");
        }
        if (config.maxNewTokens() < 1) {
            problems.add("sdsat.maxNewTokens " + config.maxNewTokens() + " must be at least 1");
        }
        if (config.infillMaxNewTokens() < 1) {
            problems.add("sdsat.infillMaxNewTokens " + config.infillMaxNewTokens() + " must be at least 1");
        }
        if (config.warmup() < 0 || config.warmupMaxNewTokens() < 1) {
            problems.add("sdsat.warmup " + config.warmup() + " must be >= 0 (and the warm-up token limit >= 1)");
        }
        if (config.datasets().isEmpty()) {
            problems.add("sdsat.datasets is empty: give humaneval, infilling or a JSONL file");
        }
        problems.addAll(config.gates().problems(config.runsGreedy() ? config.decoders() : List.of(), config.kList()));
        List<Task> tasks = new ArrayList<>();
        for (String dataset : config.datasets()) {
            try {
                List<Task> all = Datasets.load(dataset);
                if (problems.isEmpty()) {
                    tasks.addAll(Datasets.shard(Datasets.take(all, config.dataLimit()), config.shard()));
                }
            } catch (RuntimeException e) {
                problems.add("sdsat.datasets: " + e.getMessage());
            }
        }
        try {
            ResultFiles.checkWritable(config.outputDirectory().resolve(config.runFolderName()));
        } catch (RuntimeException e) {
            problems.add("sdsat.outputDirectory: " + e.getMessage());
        }
        if (problems.isEmpty() && tasks.isEmpty()) {
            problems.add("Shard " + config.shard() + " holds no prompts (the datasets have fewer prompts than "
                    + "shards after sdsat.dataLimit " + config.dataLimit() + "): use fewer shards or more data");
        }
        if (!problems.isEmpty()) {
            throw new SdsatException("Invalid sdsat:reproduce parameters:\n  - " + String.join("\n  - ", problems));
        }
        return List.copyOf(tasks);
    }

    private static void checkKs(String name, List<Integer> ks, List<String> problems) {
        for (int k : ks) {
            if (k < 1) {
                problems.add(name + ": k = " + k + " is not a number of SAT tokens; give values >= 1 (the "
                        + "baseline, k 0, always runs)");
            }
        }
        if (ks.stream().distinct().count() != ks.size()) {
            problems.add(name + " " + ks + " lists a value twice; list each k once");
        }
    }

    private static void checkDecoders(String name, List<String> decoders, List<String> problems) {
        for (String decoder : decoders) {
            if (decoder.equals(AutoregressiveDecoder.NAME)) {
                problems.add(name + ": '" + decoder + "' is the baseline, which always runs; list only speculative "
                        + "decoders (" + sdsatDecoders() + ")");
            } else if (!Decoders.names().contains(decoder)) {
                problems.add(name + ": unknown decoder '" + decoder + "'; this build has " + sdsatDecoders());
            }
        }
        if (decoders.stream().distinct().count() != decoders.size()) {
            problems.add(name + " " + decoders + " lists a decoder twice; list each once");
        }
    }

    private static List<String> sdsatDecoders() {
        return Decoders.names().stream()
                .filter(n -> !n.equals(AutoregressiveDecoder.NAME))
                .toList();
    }

    /** Expands the configuration into method configurations, in run order. */
    static List<Method> methods(ReproductionConfig config) {
        List<Method> methods = new ArrayList<>();
        if (config.runsGreedy()) {
            for (String decoder : config.decoders()) {
                for (int k : config.kList()) {
                    methods.add(new Method(decoder, k, 0.0, null));
                }
            }
        }
        for (double t : config.samplingTemperatures()) {
            for (String decoder : config.samplingDecoders()) {
                for (SamplingMode mode : config.samplingModes()) {
                    for (int k : config.samplingKList()) {
                        methods.add(new Method(decoder, k, t, mode));
                    }
                }
            }
        }
        return methods;
    }

    /** The temperatures the baseline runs at: 0 when greedy rows run, then every sampling temperature. */
    List<Double> baselineTemperatures() {
        List<Double> temperatures = new ArrayList<>();
        if (config.runsGreedy()) {
            temperatures.add(0.0);
        }
        temperatures.addAll(config.samplingTemperatures());
        return temperatures;
    }

    Map<String, Decoder> createDecoders(LoadedModel loaded) {
        Map<String, Decoder> decoders = new LinkedHashMap<>();
        decoders.put(AutoregressiveDecoder.NAME, Decoders.create(AutoregressiveDecoder.NAME, loaded.model(), -1));
        for (Method method : methods) {
            if (!decoders.containsKey(method.decoder())) {
                try {
                    decoders.put(
                            method.decoder(), Decoders.create(method.decoder(), loaded.model(), loaded.satToken()));
                } catch (IllegalArgumentException e) {
                    throw new SdsatException(
                            "Cannot run decoder " + method.decoder() + " on " + config.model() + ": " + e.getMessage(),
                            e);
                }
            }
        }
        return decoders;
    }

    /** Asks each decoder whether it serves each configuration, and checks prompt lengths against the context. */
    void checkLimits(LoadedModel loaded, Map<String, Decoder> decoders, List<long[]> prompts) {
        List<String> problems = new ArrayList<>();
        List<Method> valid = new ArrayList<>();
        for (Method method : methods) {
            try {
                decoders.get(method.decoder()).validate(generationConfig(method, 1, 0L, new long[0]));
                valid.add(method);
            } catch (IllegalArgumentException e) {
                problems.add((method.isGreedy() ? "sdsat.kList" : "sdsat.samplingKList/sdsat.samplingModes")
                        + ": " + method.decoder() + " with k = " + method.k()
                        + (method.isGreedy()
                                ? ""
                                : " at temperature " + method.temperature() + " ("
                                        + method.sampling().id() + ")")
                        + ": " + e.getMessage());
            }
        }
        List<Task> tasks = this.tasks;
        int maxK = methods.stream().mapToInt(Method::k).max().orElse(0);
        int context = loaded.model().config().maxPositions();
        for (int i = 0; i < tasks.size(); i++) {
            // Each decoder says what it needs: the prompt, the new tokens and its scratch slots for that k.
            int needed = 0;
            for (Method method : valid) {
                GenerationConfig generation = generationConfig(method, maxNewTokens(tasks.get(i)), 0L, new long[0]);
                needed = Math.max(needed, decoders.get(method.decoder()).cacheSlots(prompts.get(i).length, generation));
            }
            if (needed > context) {
                problems.add("Prompt " + tasks.get(i).dataset() + "/"
                        + tasks.get(i).id() + " has "
                        + prompts.get(i).length + " tokens; with " + maxNewTokens(tasks.get(i))
                        + " new tokens and k up to " + maxK + " it needs " + needed + " positions, more than the "
                        + "model's context of " + context + ": lower sdsat.maxNewTokens or the k values, or use "
                        + "a dataset with shorter prompts");
                if (problems.size() > 20) {
                    break;
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new SdsatException(
                    "Invalid sdsat:reproduce parameters for this model:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** The baseline's token limit for a task: the completion or the infilling limit. */
    int maxNewTokens(Task task) {
        return task.kind() == Task.Kind.INFILL ? config.infillMaxNewTokens() : config.maxNewTokens();
    }

    static GenerationConfig generationConfig(Method method, int maxNewTokens, long seed, long[] stops) {
        return GenerationConfig.builder()
                .maxNewTokens(maxNewTokens)
                .temperature(method.temperature())
                .k(method.k())
                .seed(seed)
                .sampling(method.sampling())
                .stopTokenIds(stops)
                .build();
    }

    /** A per-task seed: independent of the shard layout, so a task samples the same in any partition. */
    long taskSeed(Task task) {
        return new SplittableRandom(config.seed()
                        ^ (31L * task.dataset().hashCode() + task.id().hashCode()))
                .nextLong();
    }
}
