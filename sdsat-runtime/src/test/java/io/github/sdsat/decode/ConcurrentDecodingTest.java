package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.model.LlamaConfig;
import io.github.sdsat.model.LlamaModel;
import io.github.sdsat.model.TinyModels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Decoders on one loaded model from 4 threads (each thread with its own decoder objects, as {@link Decoder} asks) give
 * exactly the outputs of sequential runs, on the Java CPU pass and on the DJL pass: each model lets one pass run at a
 * time, and everything else a generation touches (cache, sampler, draft state) belongs to that generation.
 */
class ConcurrentDecodingTest {

    private static final int THREADS = 4;
    private static final int VOCAB = 53;
    private static final long SAT = VOCAB - 1;
    private static final List<long[]> PROMPTS =
            List.of(new long[] {1, 4, 9, 4, 9, 16}, new long[] {1, 25, 36}, new long[] {1, 2, 3, 4, 2, 3, 4, 2, 3});

    private record Job(String decoder, GenerationConfig config, long[] prompt) {
        String describe() {
            return decoder + " t=" + config.temperature() + " prompt " + java.util.Arrays.toString(prompt);
        }
    }

    private static List<Job> jobs() {
        List<Job> jobs = new ArrayList<>();
        for (long[] prompt : PROMPTS) {
            for (String name : Decoders.names()) {
                int k = RegistryCases.kAtLeast(name, 3);
                jobs.add(new Job(
                        name, GenerationConfig.builder().maxNewTokens(10).k(k).build(), prompt));
            }
            for (String name : RegistryCases.samplers()) {
                int k = RegistryCases.kAtLeast(name, 3);
                jobs.add(new Job(
                        name,
                        GenerationConfig.builder()
                                .maxNewTokens(10)
                                .k(k)
                                .temperature(1.1)
                                .topK(20)
                                .seed(prompt.length * 31L)
                                .build(),
                        prompt));
            }
        }
        return jobs;
    }

    private static long[] run(LlamaModel model, Job job) {
        return Decoders.create(job.decoder(), model, SAT)
                .generate(job.prompt(), job.config())
                .outputIds();
    }

    private static void assertConcurrentEqualsSequential(LlamaModel model) throws Exception {
        List<Job> jobs = jobs();
        Map<Job, long[]> sequential = new LinkedHashMap<>();
        for (Job job : jobs) {
            sequential.put(job, run(model, job));
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Map<Job, long[]>>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t * jobs.size() / THREADS; // each thread starts elsewhere, so different decoders overlap
                results.add(pool.submit(() -> {
                    start.await();
                    Map<Job, long[]> outputs = new LinkedHashMap<>();
                    for (int i = 0; i < jobs.size(); i++) {
                        Job job = jobs.get((offset + i) % jobs.size());
                        outputs.put(job, run(model, job));
                    }
                    return outputs;
                }));
            }
            start.countDown();
            for (Future<Map<Job, long[]>> result : results) {
                Map<Job, long[]> outputs = result.get(120, TimeUnit.SECONDS);
                for (Job job : jobs) {
                    assertThat(outputs.get(job)).as(job.describe()).isEqualTo(sequential.get(job));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fourThreadsOnTheJavaCpuPassGiveTheSequentialOutputs() throws Exception {
        try (LlamaModel model = TinyModels.model(config(), 9)) {
            assertThat(model.backend()).startsWith("java");
            assertConcurrentEqualsSequential(model);
        }
    }

    @Test
    void fourThreadsOnTheDjlPassGiveTheSequentialOutputs() throws Exception {
        String previous = System.getProperty("sdsat.cpuKernels");
        System.setProperty("sdsat.cpuKernels", "djl");
        LlamaModel model;
        try {
            model = TinyModels.model(config(), 9);
        } finally {
            if (previous == null) {
                System.clearProperty("sdsat.cpuKernels");
            } else {
                System.setProperty("sdsat.cpuKernels", previous);
            }
        }
        try (model) {
            assertThat(model.backend()).startsWith("djl");
            assertConcurrentEqualsSequential(model);
        }
    }

    private static LlamaConfig config() {
        return TinyModels.config(32, 1, 2, 1, VOCAB, false, 10000);
    }
}
