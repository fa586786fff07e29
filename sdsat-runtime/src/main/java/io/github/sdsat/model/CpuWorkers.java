package io.github.sdsat.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a range of independent work items (weight tiles, attention heads) over the calling thread and {@code
 * threads - 1} daemon workers, and returns when all are done.
 *
 * <p>Why not an executor: a pass of the embedded model runs about 20 products of 10–30 µs each, and handing a task to
 * a pooled thread that sleeps costs tens of µs. A worker here spins (with {@link Thread#onSpinWait}) for a short
 * while after its last job, so back-to-back products hand over in well under a microsecond, and parks when the model
 * is idle so it burns no core between generations. Items are claimed in small chunks from a shared counter, so the
 * caller never waits for a worker that the OS has not scheduled: it takes the remaining chunks itself.
 */
final class CpuWorkers implements AutoCloseable {
    /** How long an idle worker keeps spinning before it parks. */
    private static final long SPIN_NANOS = 200_000;
    /** Chunks per thread: small enough to balance, large enough that the shared counter is not contended. */
    private static final int CHUNKS_PER_THREAD = 4;

    /** Work over the items [from, to). */
    @FunctionalInterface
    interface RangeTask {
        void run(int from, int to);
    }

    private final Worker[] workers;

    CpuWorkers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException(
                    "CPU threads must be at least 1, got " + threads + ": set -Dsdsat.cpuThreads to a positive number");
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("sdsat-cpu-" + (i + 1));
            workers[i].start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code task} over [0, count); the items' results must not depend on which thread runs them. */
    void forRange(int count, RangeTask task) {
        if (workers.length == 0 || count <= 1) {
            task.run(0, count);
            return;
        }
        Job job = new Job(task, count, Math.max(1, count / (threads() * CHUNKS_PER_THREAD)));
        for (Worker w : workers) {
            w.post(job);
        }
        job.work();
        while (job.done.get() < count) {
            Thread.onSpinWait();
        }
        if (job.failure instanceof RuntimeException re) {
            throw re;
        }
        if (job.failure instanceof Error err) {
            throw err;
        }
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            w.shutdown();
        }
    }

    private static final class Job {
        final RangeTask task;
        final int count;
        final int chunk;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeTask task, int count, int chunk) {
            this.task = task;
            this.count = count;
            this.chunk = chunk;
        }

        void work() {
            int start;
            while ((start = next.getAndAdd(chunk)) < count) {
                int end = Math.min(count, start + chunk);
                try {
                    task.run(start, end);
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
                done.addAndGet(end - start);
            }
        }
    }

    private static final class Worker extends Thread {
        private volatile Job current;
        private volatile boolean sleeping;
        private volatile boolean stopped;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void post(Job job) {
            current = job;
            if (sleeping) {
                LockSupport.unpark(this);
            }
        }

        void shutdown() {
            stopped = true;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            Job seen = null;
            while (!stopped) {
                long idleSince = System.nanoTime();
                int spins = 0;
                while (current == seen && !stopped) {
                    if (++spins % 1024 == 0 && System.nanoTime() - idleSince > SPIN_NANOS) {
                        // Dekker handshake with post(): one of the two sees the other's write.
                        sleeping = true;
                        if (current == seen && !stopped) {
                            LockSupport.park(this);
                        }
                        sleeping = false;
                        idleSince = System.nanoTime();
                    } else {
                        Thread.onSpinWait();
                    }
                }
                seen = current;
                if (seen != null && !stopped) {
                    seen.work();
                }
            }
        }
    }
}
