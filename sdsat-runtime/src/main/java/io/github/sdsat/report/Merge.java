package io.github.sdsat.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sdsat.SdsatException;
import io.github.sdsat.results.Environment;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.GreedyMismatch;
import io.github.sdsat.results.PromptRecord;
import io.github.sdsat.results.RunResults;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Joins the results of the shards of one run ({@code sdsat.shard} {@code 0/n} .. {@code n-1/n}) into the
 * results of the whole run.
 *
 * <p>Shards are refused when they did not measure the same thing: their configurations must be equal except
 * for {@link #PER_SHARD_KEYS} (which shard, and where its files went), and they must have used the same model
 * (environment {@code modelSha} and {@code parameterCount}, or {@code modelPath} when no checksum was
 * recorded), the same {@code dtype} and the same {@code gpu}. The device index may differ, so shards can run on
 * several GPUs of one machine. A prompt (dataset, task, decoder, k, temperature, sampling) may appear in only
 * one shard. The rows are recomputed from the union of the prompt records.
 *
 * <p>The merged configuration is the first shard's without {@code shard}, plus {@code shards}: the list of the
 * shards' {@code shard} values. The merged environment is the first shard's.
 */
public final class Merge {

    /** Configuration keys that legitimately differ between the shards of one run. */
    public static final Set<String> PER_SHARD_KEYS = Set.of("shard", "runId", "outputDirectory");

    private static final ObjectMapper MAPPER = ResultFiles.mapper();

    private Merge() {}

    /** Identity of a prompt measurement. */
    private record PromptKey(
            String dataset, String taskId, String decoder, int k, double temperature, String sampling) {}

    /**
     * Merges shard results.
     *
     * @throws SdsatException naming the differing key or the duplicated prompt when the shards do not fit together
     */
    public static RunResults merge(List<RunResults> shards) {
        if (shards == null || shards.isEmpty()) {
            throw new SdsatException("No shard results to merge; give the run folders of the shards");
        }
        RunResults first = shards.get(0);
        for (int i = 1; i < shards.size(); i++) {
            requireSameConfig(first, shards.get(i), i);
            requireSameModel(first.environment(), shards.get(i).environment(), i);
        }
        Map<PromptKey, Integer> seen = new HashMap<>();
        List<PromptRecord> union = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            for (PromptRecord record : shards.get(i).prompts()) {
                PromptKey key = new PromptKey(
                        record.dataset(),
                        record.taskId(),
                        record.decoder(),
                        record.k(),
                        record.temperature(),
                        record.sampling());
                Integer earlier = seen.putIfAbsent(key, i);
                if (earlier != null) {
                    throw new SdsatException("Prompt " + record.dataset() + "/" + record.taskId() + " (decoder "
                            + record.decoder() + ", k=" + record.k() + ", temperature " + record.temperature()
                            + ", sampling "
                            + record.sampling() + ") appears in shard " + shardName(shards.get(earlier), earlier)
                            + (earlier == i ? " twice" : " and in shard " + shardName(shards.get(i), i))
                            + "; merge each shard once, and only shards made with different sdsat.shard values");
                }
                union.add(record);
            }
        }
        // Shards interleave tasks (i, i+n, ...), so concatenation would scramble them; sort into one run's order.
        Map<String, Integer> datasetOrder = new LinkedHashMap<>();
        union.forEach(record -> datasetOrder.putIfAbsent(record.dataset(), datasetOrder.size()));
        union.sort(Comparator.<PromptRecord>comparingInt(record -> datasetOrder.get(record.dataset()))
                .thenComparingDouble(PromptRecord::temperature)
                .thenComparing(PromptRecord::decoder)
                .thenComparing(PromptRecord::sampling, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparingInt(PromptRecord::k)
                .thenComparing(PromptRecord::taskId, Merge::compareTaskIds));

        Map<String, Object> config = new LinkedHashMap<>(first.config());
        config.remove("shard");
        List<Object> shardValues = new ArrayList<>();
        for (RunResults shard : shards) {
            if (shard.config().get("shard") != null) {
                shardValues.add(shard.config().get("shard"));
            }
        }
        if (!shardValues.isEmpty()) {
            config.put("shards", shardValues);
        }
        // Each shard gated its own prompts when it ran (a speedup bound or a paired test over one shard's prompts is
        // that shard's); the merged run keeps every shard's verdicts, named by shard, and every classified mismatch.
        List<GreedyMismatch> mismatches = new ArrayList<>();
        List<GateResult> gates = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            RunResults shard = shards.get(i);
            mismatches.addAll(shard.mismatches());
            for (GateResult gate : shard.gates()) {
                gates.add(new GateResult(
                        gate.group(),
                        gate.name() + " [shard " + shardName(shard, i) + "]",
                        gate.status(),
                        gate.message(),
                        gate.figures()));
            }
        }
        return RunResults.of(config, first.environment(), union)
                .withMismatches(mismatches)
                .withGates(gates);
    }

    /** Orders "HumanEval/2" before "HumanEval/10": equal text prefixes compared by their trailing number. */
    static int compareTaskIds(String a, String b) {
        int aDigits = trailingDigits(a);
        int bDigits = trailingDigits(b);
        String aHead = a.substring(0, a.length() - aDigits);
        String bHead = b.substring(0, b.length() - bDigits);
        if (aDigits > 0 && bDigits > 0 && aHead.equals(bHead) && aDigits <= 18 && bDigits <= 18) {
            return Long.compare(
                    Long.parseLong(a.substring(aHead.length())), Long.parseLong(b.substring(bHead.length())));
        }
        return a.compareTo(b);
    }

    private static int trailingDigits(String text) {
        int count = 0;
        while (count < text.length() && Character.isDigit(text.charAt(text.length() - 1 - count))) {
            count++;
        }
        return count;
    }

    private static String shardName(RunResults shard, int position) {
        Object value = shard.config().get("shard");
        return value == null ? "#" + (position + 1) : value + " (#" + (position + 1) + ")";
    }

    private static void requireSameConfig(RunResults first, RunResults other, int position) {
        Set<String> keys = new LinkedHashSet<>(first.config().keySet());
        keys.addAll(other.config().keySet());
        for (String key : keys) {
            if (PER_SHARD_KEYS.contains(key)) {
                continue;
            }
            boolean inFirst = first.config().containsKey(key);
            boolean inOther = other.config().containsKey(key);
            if (!inFirst
                    || !inOther
                    || !sameValue(first.config().get(key), other.config().get(key))) {
                throw new SdsatException("Shard " + shardName(other, position) + " has a different configuration from"
                        + " shard " + shardName(first, 0) + ": config." + key + " is "
                        + (inOther ? MAPPER.valueToTree(other.config().get(key)) : "absent") + " there and "
                        + (inFirst ? MAPPER.valueToTree(first.config().get(key)) : "absent")
                        + " in the first shard; merge only shards of one run (same parameters, different sdsat.shard)");
            }
        }
    }

    private static void requireSameModel(Environment first, Environment other, int position) {
        boolean checksums = first.modelSha() != null || other.modelSha() != null;
        compare("modelSha", first.modelSha(), other.modelSha(), position);
        compare("parameterCount", first.parameterCount(), other.parameterCount(), position);
        if (!checksums) {
            compare("modelPath", first.modelPath(), other.modelPath(), position);
        }
        compare("dtype", first.dtype(), other.dtype(), position);
        compare("gpu", first.gpu(), other.gpu(), position);
    }

    private static void compare(String key, Object first, Object other, int position) {
        if (!Objects.equals(first, other)) {
            throw new SdsatException("Shard #" + (position + 1) + " was measured differently from the first shard:"
                    + " environment." + key + " is " + other + " there and " + first + " in the first shard;"
                    + " merge only shards that ran the same model with the same dtype on the same kind of GPU");
        }
    }

    /** Equality of JSON-like values where 5, 5L and 5.0 are equal (files read back give other number types). */
    private static boolean sameValue(Object a, Object b) {
        JsonNode left = MAPPER.valueToTree(a);
        JsonNode right = MAPPER.valueToTree(b);
        return left.equals(
                (x, y) -> {
                    if (x.isNumber() && y.isNumber()) {
                        return x.decimalValue().compareTo(y.decimalValue()) == 0 ? 0 : 1;
                    }
                    return x.equals(y) ? 0 : 1;
                },
                right);
    }
}
