package io.github.sdsat.report;

import io.github.sdsat.results.Environment;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.PromptRecordFixtures;
import io.github.sdsat.results.RowSummary;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A hand-made run shaped like the paper's protocol, with one differing greedy prompt. */
final class SampleRuns {

    private SampleRuns() {}

    static Map<String, Object> config(String shard) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("runId", "sample-run");
        config.put("datasets", List.of("humaneval", "infilling"));
        config.put("dataLimit", 0.5);
        config.put("kList", List.of(1, 3, 5));
        config.put("decoders", List.of("sdsat", "sdsat-tree"));
        config.put("temperatures", List.of(0.0, 1.0));
        config.put("maxNewTokens", 512);
        config.put("seed", 42);
        config.put("shard", shard);
        return config;
    }

    static Environment environment() {
        return new Environment(
                "gpu(0)",
                "float16",
                "17.0.15 (Debian)",
                "0.36.0",
                "Linux 6.1 amd64",
                "Intel(R) Xeon(R) Gold 6338",
                "NVIDIA H100 80GB HBM3",
                "/models/sdsat-codellama-7b",
                "ab12cd34",
                6_738_415_616L,
                null,
                null,
                null,
                null,
                null);
    }

    /** Records of the given task numbers (0-based) of both datasets. */
    static List<PromptRecord> records(List<Integer> taskNumbers) {
        List<PromptRecord> records = new ArrayList<>();
        for (String dataset : List.of("humaneval", "infilling")) {
            int tokens = dataset.equals("humaneval") ? 200 : 30;
            for (int task : taskNumbers) {
                String id = "HumanEval/" + task;
                double base = tokens * (20 + task);
                records.add(PromptRecordFixtures.baseline(dataset, id, base, tokens));
                for (int k : new int[] {1, 3, 5}) {
                    int forwards = tokens * 2 / (k + 1) + 1;
                    long drafted = (long) k * forwards / 2;
                    long accepted = drafted * (60 - 5L * k) / 100;
                    boolean identical = !(dataset.equals("humaneval") && task == 1 && k == 5);
                    records.add(PromptRecordFixtures.greedy(
                            dataset,
                            id,
                            "sdsat",
                            k,
                            base * (0.35 + 0.75 / k) / (1.0 + 0.02 * task),
                            tokens,
                            forwards,
                            drafted,
                            accepted,
                            forwards / 2,
                            identical));
                }
                for (double temperature : new double[] {0.2, 1.0}) {
                    records.add(PromptRecordFixtures.sampled(
                            dataset, id, "ar", 0, temperature, null, base * 1.02, tokens, tokens, 0, 0, tokens));
                    for (int k : new int[] {5, 7}) {
                        int forwards = tokens / 2;
                        records.add(PromptRecordFixtures.sampled(
                                dataset,
                                id,
                                "sdsat-tree",
                                k,
                                temperature,
                                "paper",
                                base / (1.6 - temperature / 2),
                                tokens,
                                forwards,
                                (long) k * forwards / 2,
                                forwards / 3,
                                forwards / 2));
                    }
                }
            }
        }
        return records;
    }

    static RunResults run(String shard, List<Integer> taskNumbers) {
        return RunResults.of(config(shard), environment(), records(taskNumbers));
    }

    /**
     * The sample run with every column of the results table filled somewhere: times over 10 s (thousands
     * separators), a ceiling on every other row (baselines among them) and a copied share on two rows of three.
     */
    static RunResults runWithEveryColumn() {
        RunResults sample = run(null, List.of(0, 1, 2, 3));
        List<RowSummary> rows = new ArrayList<>();
        for (int i = 0; i < sample.rows().size(); i++) {
            RowSummary r = sample.rows().get(i);
            rows.add(new RowSummary(
                    r.dataset(),
                    r.decoder(),
                    r.temperature(),
                    r.k(),
                    r.sampling(),
                    r.prompts(),
                    r.meanTimeMs() * 13.37,
                    r.medianTimeMs(),
                    r.speedup(),
                    r.medianSpeedup(),
                    r.tokensPerSecond() * 9.1,
                    r.tokensPerForward(),
                    r.acceptRate(),
                    r.meanAcceptedPerLoop(),
                    r.identicalToBaseline(),
                    i % 3 == 2 ? null : 0.123 * (i + 1) % 1,
                    i % 2 == 1 ? null : 1.6 + i * 0.1));
        }
        return new RunResults(
                sample.config(),
                sample.environment(),
                rows,
                sample.prompts(),
                sample.accuracy(),
                sample.accuracyGate(),
                sample.lineCompletion(),
                sample.lineCompletionGate(),
                sample.mismatches(),
                sample.gates());
    }
}
