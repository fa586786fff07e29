package io.github.sdsat.results;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * Where a run was measured: the {@code environment} object of {@code results.json}.
 *
 * @param device DJL device the model ran on, e.g. {@code gpu(0)} or {@code cpu()}
 * @param dtype the weights' precision as the pass held them ({@code LlamaModel.weightPrecision()}: float32, float16,
 *     or bfloat16 for a bfloat16 checkpoint on the Java CPU pass, whose arithmetic is float32)
 * @param javaVersion Java runtime version and vendor
 * @param djlVersion DJL version
 * @param os operating system name, version and architecture
 * @param cpu CPU model name from {@code /proc/cpuinfo}, null where not readable
 * @param gpu GPU name, null when none was used
 * @param modelPath model folder as given
 * @param modelSha checksum identifying the weights, null when not computed
 * @param parameterCount number of model parameters, null when not known
 * @param backend the forward pass that ran ({@code LlamaModel.backend()}, e.g. "java vector (512-bit), 2
 *     threads" or "djl (cpu(), float32)"); null in results written before this field existed
 * @param costCurveCachedTokens tokens in the cache when the run measured its cost curve; null when not measured
 * @param costCurveMs the run's cost curve: median ms of one pass by its number of new tokens, every width the run's
 *     decoders used (measured after the prompts, on the same model, in the same JVM); null when not measured
 * @param weightBytesPerPass bytes of weights one forward pass reads (every matrix once, the embedding table as the
 *     LM head), in the dtype that ran; null when not recorded
 * @param arWeightGBps achieved weight bandwidth of autoregressive decoding: weightBytesPerPass / the median over the
 *     greedy baseline's prompts of its decode time per token (prefill excluded), in GB/s; on a memory-bound model
 *     (a 7B model on a GPU) this is close to the device's memory bandwidth when the pass is efficient; null when
 *     not measured
 */
public record Environment(
        String device,
        String dtype,
        String javaVersion,
        String djlVersion,
        String os,
        String cpu,
        String gpu,
        String modelPath,
        String modelSha,
        Long parameterCount,
        String backend,
        Integer costCurveCachedTokens,
        java.util.Map<Integer, Double> costCurveMs,
        Long weightBytesPerPass,
        Double arWeightGBps) {

    public Environment {
        costCurveMs = costCurveMs == null
                ? null
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(costCurveMs));
    }

    /**
     * How far a wider pass of the cost curve may be measured below a narrower one before the curve is called not
     * monotone: round-to-round noise of a memory-bound pass is a few percent.
     */
    static final double COST_CURVE_TOLERANCE = 0.05;

    /**
     * The largest inversion of the cost curve, as a sentence for the summary and the report, or null when the curve
     * is monotone within {@link #COST_CURVE_TOLERANCE}. A pass of more new tokens reads the same weights and computes
     * more, so its true cost is never lower; a wider median measured clearly below a narrower one means the machine's
     * speed moved while the curve was measured (shared memory bandwidth drifts by 10-20% over minutes on the machine
     * of docs/PERFORMANCE.md section 7), and every ceiling priced on this curve is uncertain by about that much.
     */
    public String costCurveInversion() {
        if (costCurveMs == null) {
            return null;
        }
        java.util.TreeMap<Integer, Double> curve = new java.util.TreeMap<>(costCurveMs);
        int narrow = 0;
        int wide = 0;
        double worst = 1 + COST_CURVE_TOLERANCE;
        for (var n : curve.entrySet()) {
            for (var m : curve.tailMap(n.getKey(), false).entrySet()) {
                double ratio = n.getValue() / m.getValue();
                if (m.getValue() > 0 && ratio > worst) {
                    worst = ratio;
                    narrow = n.getKey();
                    wide = m.getKey();
                }
            }
        }
        if (wide == 0) {
            return null;
        }
        return String.format(
                java.util.Locale.ROOT,
                "The run's cost curve is not monotone: T(%d) = %.1f ms is %.0f %% below T(%d) = %.1f ms, though a wider"
                        + " pass reads the same weights and computes more. The machine's speed moved while the curve was"
                        + " measured, so every ceiling (and share of it) is uncertain by about that much.",
                wide,
                curve.get(wide),
                100 * (1 - 1 / worst),
                narrow,
                curve.get(narrow));
    }

    /** This environment with the forward pass and the run's cost curve filled in. */
    public Environment with(String backend, Integer cachedTokens, java.util.Map<Integer, Double> msByWidth) {
        return io.github.sdsat.Records.copyWith(
                this, "backend", backend, "costCurveCachedTokens", cachedTokens, "costCurveMs", msByWidth);
    }

    /** This environment with the weights a pass reads and the bandwidth autoregressive decoding achieved. */
    public Environment withWeightBandwidth(Long bytesPerPass, Double achievedGBps) {
        return io.github.sdsat.Records.copyWith(this, "weightBytesPerPass", bytesPerPass, "arWeightGBps", achievedGBps);
    }

    /**
     * The environment of this JVM with the run's own facts filled in; Java, DJL, OS and CPU are read here.
     *
     * @param gpu GPU name or null (the caller knows whether it used one)
     * @param modelSha null when not computed
     * @param parameterCount null when not known
     */
    public static Environment detect(
            String device, String dtype, String gpu, String modelPath, String modelSha, Long parameterCount) {
        return new Environment(
                device,
                dtype,
                System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
                detectDjlVersion(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                cpuName(),
                gpu,
                modelPath,
                modelSha,
                parameterCount,
                null, // backend, cost curve and weight bandwidth: filled in by the run (with, withWeightBandwidth)
                null,
                null,
                null,
                null);
    }

    /** DJL's version from its own properties file, without initialising any engine; null if not on the path. */
    public static String detectDjlVersion() {
        // A class literal does not initialise Engine, so no native library is loaded here.
        try (InputStream in = ai.djl.engine.Engine.class.getResourceAsStream("api.properties")) {
            if (in == null) {
                return null;
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("djl_version");
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * This machine's CPU model name from {@code /proc/cpuinfo}, or null where that file does not exist (macOS,
     * Windows): the one reader of it, for run environments and training stage records alike.
     */
    public static String cpuName() {
        return cpuName(Path.of("/proc/cpuinfo"));
    }

    /** The first {@code model name} in a {@code /proc/cpuinfo}-style file, or null when absent or unreadable. */
    static String cpuName(Path cpuinfo) {
        try {
            List<String> lines = Files.readAllLines(cpuinfo, StandardCharsets.UTF_8);
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equals("model name")) {
                    String name = line.substring(colon + 1).strip();
                    return name.isEmpty() ? null : name;
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            // No /proc (macOS, Windows) or not readable: the CPU is simply not reported.
            return null;
        }
    }
}
