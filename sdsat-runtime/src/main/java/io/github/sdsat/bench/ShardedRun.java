package io.github.sdsat.bench;

import io.github.sdsat.SdsatException;
import io.github.sdsat.results.RunResults;
import io.github.sdsat.results.Shard;
import java.util.List;

/** Shards of one run on several devices of this machine, merged into one report. */
final class ShardedRun {
    private ShardedRun() {}

    /**
     * Runs one shard per device in parallel in this process (each device loads its own copy of the model), then
     * merges the shards into one report under {@code config.runId()}: {@code -Dsdsat.devices=gpu0,gpu1}. The shard
     * of {@code config} is ignored; shard i of n runs on the i-th device. Timings of shards that share a device (or
     * CPU cores) disturb each other, so give each shard its own GPU.
     */
    static RunResults runOnDevices(ReproductionConfig config, List<String> devices, ReproductionRun.Listener listener) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("sdsat.devices is empty: list one device per shard, e.g. gpu0,gpu1");
        }
        int n = devices.size();
        java.util.List<ReproductionConfig> shards = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            shards.add(config.onDevice(devices.get(i), new Shard(i, n)));
        }
        shards.forEach(ReproductionPlan::validate); // every problem reported before any model loads
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.List<java.util.concurrent.Future<ReproductionRun.Outcome>> running = new java.util.ArrayList<>();
            for (ReproductionConfig shard : shards) {
                running.add(pool.submit(() -> ReproductionRun.run(shard, listener)));
            }
            for (java.util.concurrent.Future<ReproductionRun.Outcome> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdsatException("Interrupted while shards were running", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new SdsatException("A shard failed: " + cause, cause);
        } finally {
            pool.shutdownNow();
        }
        return io.github.sdsat.report.ShardFolders.mergeRun(config.outputDirectory(), config.runId());
    }
}
