package io.github.sdsat.bench;

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
 * @param dtype weight and activation dtype used, e.g. {@code float16}
 * @param javaVersion Java runtime version and vendor
 * @param djlVersion DJL version
 * @param os operating system name, version and architecture
 * @param cpu CPU model name from {@code /proc/cpuinfo}, null where not readable
 * @param gpu GPU name, null when none was used
 * @param modelPath model folder as given
 * @param modelSha checksum identifying the weights, null when not computed
 * @param parameterCount number of model parameters, null when not known
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
    Long parameterCount) {

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
        cpuName(Path.of("/proc/cpuinfo")),
        gpu,
        modelPath,
        modelSha,
        parameterCount);
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
