package io.github.sdsat.bench;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.decode.AutoregressiveDecoder;
import io.github.sdsat.decode.DecoderRegistry;
import io.github.sdsat.decode.SamplingMode;
import io.github.sdsat.gate.GateSettings;
import io.github.sdsat.report.ShardFolders;
import io.github.sdsat.results.Shard;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The parameters of one {@link ReproductionRun} (the {@code sdsat:reproduce} properties). Build with
 * {@link #builder()}; every unset value takes the documented default. Values are checked by
 * {@link ReproductionRun#validate} before any work starts, not here, so that all problems are reported together
 * with the parameter names users type.
 *
 * <p>Rows measured per prompt: the autoregressive baseline ({@code ar}, k 0) at every temperature; at temperature
 * 0 each decoder of {@code decoders} with each k of {@code kList}; at each temperature above 0 each decoder of
 * {@code samplingDecoders} with each k of {@code samplingKList} and each rule of {@code samplingModes}.
 *
 * @param model model folder (already resolved, see {@code EmbeddedModels.resolve})
 * @param device {@code auto}, {@code cpu}, {@code gpu}, {@code gpuN}
 * @param dtype {@code auto}, {@code float32}, {@code float16}
 * @param satToken SAT token id or text; null takes the tokenizer's
 * @param datasets {@code humaneval}, {@code infilling}, or JSONL file paths
 * @param dataLimit leading fraction of each dataset to run, in (0, 1]
 * @param kList k values of the greedy rows
 * @param decoders SDSAT decoders of the greedy rows (the baseline always runs)
 * @param temperatures temperatures; 0 runs the greedy rows, each value above 0 the sampling rows
 * @param samplingDecoders decoders of the sampling rows
 * @param samplingKList k values of the sampling rows
 * @param samplingModes acceptance rules of the sampling rows
 * @param maxNewTokens new tokens for completion tasks (the baseline's limit; methods generate as many as it did)
 * @param infillMaxNewTokens new tokens for infilling tasks
 * @param seed base seed of the sampling rows (each task derives its own from it and its id)
 * @param runId name of the run's folder
 * @param shard which part of the prompts this process runs
 * @param outputDirectory reports root; the run writes {@code <outputDirectory>/<runFolder>}
 * @param warmup prompts run through every configuration before measuring, results discarded
 * @param warmupMaxNewTokens token limit of the warm-up generations
 * @param gates what the run gates on besides writing the report (lossless by default; floors, a pinned baseline)
 */
public record ReproductionConfig(
        Path model,
        String device,
        String dtype,
        String satToken,
        List<String> datasets,
        double dataLimit,
        List<Integer> kList,
        List<String> decoders,
        List<Double> temperatures,
        List<String> samplingDecoders,
        List<Integer> samplingKList,
        List<SamplingMode> samplingModes,
        int maxNewTokens,
        int infillMaxNewTokens,
        long seed,
        String runId,
        Shard shard,
        Path outputDirectory,
        int warmup,
        int warmupMaxNewTokens,
        GateSettings gates) {

    /** Default datasets: HumanEval completion and the single-line infilling set built from it. */
    public static final List<String> DEFAULT_DATASETS =
            List.of(HumanEval.COMPLETION_DATASET, HumanEval.INFILLING_DATASET);
    /** The paper runs the first half of each dataset. */
    public static final double DEFAULT_DATA_LIMIT = 0.5;
    /**
     * Default greedy k sweep. The paper sweeps 1..13; on the embedded model acceptance is flat beyond k = 3
     * (measured), and 1, 3, 5 keep the default run (82 + 82 prompts, three greedy decoders, the depth-5 tree at two
     * temperatures) within about 15 minutes on a 2-core CPU. {@code -Dsdsat.kList=1..13} runs the paper's sweep.
     */
    public static final List<Integer> DEFAULT_K_LIST = List.of(1, 3, 5);
    /** Tree size for nucleus sampling by default (the paper uses 5..13; the 15-minute budget keeps the paper's default 5). */
    public static final List<Integer> DEFAULT_SAMPLING_K_LIST = List.of(5);
    /** The paper's sampling temperatures (used when a sampling decoder is available). */
    public static final List<Double> DEFAULT_SAMPLING_TEMPERATURES = List.of(0.2, 1.0);
    /**
     * Default tokens for completion: 256, the length of the project's speed targets (docs/PERFORMANCE.md); the paper
     * allows 512. With the Java CPU pass the default run takes about 9 minutes on the 2-core CPU (it was 96 tokens
     * while the DJL pass decoded 256 tokens/s).
     */
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;
    /** The paper's infilling limit. */
    public static final int DEFAULT_INFILL_MAX_NEW_TOKENS = 50;

    public static final int DEFAULT_WARMUP = 1;
    public static final int DEFAULT_WARMUP_MAX_NEW_TOKENS = 32;

    public ReproductionConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(outputDirectory, "outputDirectory");
        datasets = List.copyOf(datasets);
        kList = List.copyOf(kList);
        decoders = List.copyOf(decoders);
        temperatures = List.copyOf(temperatures);
        samplingDecoders = List.copyOf(samplingDecoders);
        samplingKList = List.copyOf(samplingKList);
        samplingModes = List.copyOf(samplingModes);
        shard = shard == null ? Shard.ALL : shard;
        gates = gates == null ? GateSettings.defaults() : gates;
    }

    /**
     * This configuration as written to results.json: every component by its name (the record is the one list of
     * the run's parameters, so a new parameter appears here without further code) but the model, paths and shards as
     * text,
     * sampling rules by id, the SAT token as the id it resolved to on the model, and under {@code decoderSpecs} the
     * registry's facts of the decoders the run measures ({@link #measuredDecoders()}).
     */
    public java.util.Map<String, Object> describe(long resolvedSatToken) {
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.RecordComponent c : ReproductionConfig.class.getRecordComponents()) {
            if (c.getName().equals("model")) {
                continue; // the environment records the model with its weights' SHA-256; its path is the machine's
            }
            Object value = io.github.sdsat.Records.value(this, c);
            if (value instanceof Path || value instanceof Shard) {
                value = value.toString();
            } else if (value instanceof GateSettings settings) {
                value = settings.describe();
            } else if (value instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof SamplingMode) {
                value = list.stream().map(m -> ((SamplingMode) m).id()).toList();
            }
            map.put(c.getName(), value);
        }
        map.put("satToken", resolvedSatToken);
        map.put("decoderSpecs", DecoderRegistry.facts(measuredDecoders()));
        map.put("lengthRule", "methods generate as many tokens as the baseline did on the same prompt");
        return map;
    }

    /** The decoders this run measures: the baseline, the greedy rows' decoders, then the sampling rows', each once. */
    public List<String> measuredDecoders() {
        List<String> names = new ArrayList<>();
        names.add(AutoregressiveDecoder.NAME);
        if (runsGreedy()) {
            names.addAll(decoders);
        }
        if (!samplingTemperatures().isEmpty()) {
            names.addAll(samplingDecoders);
        }
        return names.stream().distinct().toList();
    }

    /** A copy that runs {@code shard} on {@code device}, every other parameter unchanged. */
    public ReproductionConfig onDevice(String device, Shard shard) {
        return io.github.sdsat.Records.copyWith(this, "device", device, "shard", shard);
    }

    /** Whether this run is one of several shards. */
    public boolean isSharded() {
        return shard.count() > 1;
    }

    /** Folder name of this run's results: {@code runId}, or {@code runId-shard-i-of-n} for a shard (0-based i). */
    public String runFolderName() {
        return ShardFolders.folderName(runId, shard);
    }

    /** Greedy temperatures requested (0 or nothing). */
    public boolean runsGreedy() {
        return temperatures.stream().anyMatch(t -> t == 0.0);
    }

    /** Temperatures above 0. */
    public List<Double> samplingTemperatures() {
        return temperatures.stream().filter(t -> t > 0.0).toList();
    }

    /** A run id from the local time, e.g. {@code 20240327-142501}. */
    public static String timestampRunId() {
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder; see the record's parameters for the meaning and {@code DEFAULT_*} for the defaults. */
    public static final class Builder {
        private Path model;
        private String device = "auto";
        private String dtype = "auto";
        private GateSettings gates = GateSettings.defaults();
        private String satToken;
        private List<String> datasets = DEFAULT_DATASETS;
        private double dataLimit = DEFAULT_DATA_LIMIT;
        private List<Integer> kList = DEFAULT_K_LIST;
        private List<String> decoders;
        private List<Double> temperatures;
        private List<String> samplingDecoders;
        private List<Integer> samplingKList = DEFAULT_SAMPLING_K_LIST;
        private List<SamplingMode> samplingModes = List.of(SamplingMode.PAPER);
        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private int infillMaxNewTokens = DEFAULT_INFILL_MAX_NEW_TOKENS;
        private long seed;
        private String runId;
        private Shard shard = Shard.ALL;
        private Path outputDirectory = Path.of("reports");
        private int warmup = DEFAULT_WARMUP;
        private int warmupMaxNewTokens = DEFAULT_WARMUP_MAX_NEW_TOKENS;

        public Builder model(Path v) {
            model = v;
            return this;
        }

        public Builder device(String v) {
            device = v;
            return this;
        }

        public Builder dtype(String v) {
            dtype = v;
            return this;
        }

        public Builder satToken(String v) {
            satToken = v;
            return this;
        }

        public Builder datasets(List<String> v) {
            datasets = v;
            return this;
        }

        public Builder dataLimit(double v) {
            dataLimit = v;
            return this;
        }

        public Builder kList(List<Integer> v) {
            kList = v;
            return this;
        }

        public Builder decoders(List<String> v) {
            decoders = v;
            return this;
        }

        public Builder temperatures(List<Double> v) {
            temperatures = v;
            return this;
        }

        public Builder samplingDecoders(List<String> v) {
            samplingDecoders = v;
            return this;
        }

        public Builder samplingKList(List<Integer> v) {
            samplingKList = v;
            return this;
        }

        public Builder samplingModes(List<SamplingMode> v) {
            samplingModes = v;
            return this;
        }

        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        public Builder infillMaxNewTokens(int v) {
            infillMaxNewTokens = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder runId(String v) {
            runId = v;
            return this;
        }

        public Builder shard(Shard v) {
            shard = v;
            return this;
        }

        public Builder outputDirectory(Path v) {
            outputDirectory = v;
            return this;
        }

        public Builder warmup(int v) {
            warmup = v;
            return this;
        }

        public Builder gates(GateSettings v) {
            gates = v;
            return this;
        }

        public Builder warmupMaxNewTokens(int v) {
            warmupMaxNewTokens = v;
            return this;
        }

        /**
         * Builds the configuration. Unset decoder lists and temperatures default to what this build provides:
         * greedy rows with {@link ReproductionRun#DEFAULT_DECODER}; sampling rows at
         * {@link #DEFAULT_SAMPLING_TEMPERATURES} with every available sampling decoder
         * ({@link ReproductionRun#availableSamplingDecoders()}), none when there is none.
         */
        public ReproductionConfig build() {
            List<String> sampling =
                    samplingDecoders != null ? samplingDecoders : ReproductionRun.availableSamplingDecoders();
            List<Double> temps = temperatures;
            if (temps == null) {
                List<Double> defaults = new ArrayList<>();
                defaults.add(0.0);
                if (!sampling.isEmpty()) {
                    defaults.addAll(DEFAULT_SAMPLING_TEMPERATURES);
                }
                temps = defaults;
            }
            return new ReproductionConfig(
                    model,
                    device,
                    dtype,
                    satToken,
                    datasets,
                    dataLimit,
                    kList,
                    decoders != null ? decoders : List.of(ReproductionRun.DEFAULT_DECODER.split(",")),
                    temps,
                    sampling,
                    samplingKList,
                    samplingModes,
                    maxNewTokens,
                    infillMaxNewTokens,
                    seed,
                    runId != null ? runId : timestampRunId(),
                    shard,
                    outputDirectory,
                    warmup,
                    warmupMaxNewTokens,
                    gates);
        }
    }
}
