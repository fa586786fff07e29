package io.github.sdsat.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The device and compute dtype a run uses, from the user's {@code sdsat.device} and {@code sdsat.dtype}.
 *
 * <ul>
 *   <li>device {@code auto}: the first GPU when DJL's PyTorch engine sees one (a CUDA build of PyTorch on a
 *       machine with a GPU), else the CPU; {@code cpu}; {@code gpu} (GPU 0) or {@code gpuN} / {@code gpu:N}.
 *   <li>dtype {@code auto}: float16 on a GPU, float32 on the CPU (half precision is slow or unsupported for CPU
 *       matrix products); {@code float32}; {@code float16}.
 * </ul>
 *
 * @param device where the weights and activations live
 * @param dtype weight and activation dtype
 */
public record DeviceChoice(Device device, DataType dtype) {
    public static final String AUTO = "auto";

    /**
     * Resolves the user's device and dtype names. Starts the PyTorch engine when the device is {@code auto} or a
     * GPU (to count GPUs), so call {@link DjlOffline#enable()} first.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones, or when a GPU is asked for and
     *     none is visible
     */
    public static DeviceChoice resolve(String deviceName, String dtypeName) {
        Device device = resolveDevice(deviceName);
        return new DeviceChoice(device, resolveDtype(dtypeName, device));
    }

    static Device resolveDevice(String name) {
        String value = name == null || name.isBlank() ? AUTO : name.strip().toLowerCase(Locale.ROOT);
        if (value.equals("cpu")) {
            return Device.cpu();
        }
        if (value.equals(AUTO)) {
            return gpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if (value.startsWith("gpu")) {
            String index = value.substring(3);
            if (index.startsWith(":")) {
                index = index.substring(1);
            }
            int gpu;
            try {
                gpu = index.isEmpty() ? 0 : Integer.parseInt(index);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "Device '" + name + "' is not understood: use auto, cpu, gpu or " + "gpuN (e.g. gpu1)", e);
            }
            int count = gpuCount();
            if (gpu < 0 || gpu >= count) {
                throw new IllegalArgumentException("Device '" + name + "' asks for GPU " + gpu + " but DJL's PyTorch"
                        + " engine sees " + count + " GPU(s)"
                        + (count == 0
                                ? " (the CPU build of PyTorch is on the class path, or no CUDA device is visible:"
                                        + " run with -Dsdsat.cuda -Dsdsat.allowDownloads=true, or with"
                                        + " PYTORCH_LIBRARY_PATH pointing at a CUDA libtorch 2.7.1, as the README's"
                                        + " 'On a GPU' says)"
                                : "")
                        + ": use sdsat.device=auto or cpu, or a "
                        + "GPU index below " + count);
            }
            return Device.gpu(gpu);
        }
        throw new IllegalArgumentException("Device '" + name + "' is not understood: use auto, cpu, gpu or gpuN");
    }

    static DataType resolveDtype(String name, Device device) {
        String value = name == null || name.isBlank() ? AUTO : name.strip().toLowerCase(Locale.ROOT);
        switch (value) {
            case AUTO:
                return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
            case "float32":
            case "fp32":
                return DataType.FLOAT32;
            case "float16":
            case "fp16":
                return DataType.FLOAT16;
            default:
                throw new IllegalArgumentException("Dtype '" + name + "' is not supported for computation: use auto, "
                        + "float32 or float16 (bfloat16 weights are widened when loaded)");
        }
    }

    private static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    /** The dtype's user-facing name ({@code float32}, {@code float16}). */
    public String dtypeName() {
        return dtype == DataType.FLOAT16 ? "float16" : "float32";
    }

    /**
     * A GPU's name, memory and driver for the report, from {@code nvidia-smi} when it is on the PATH (name, total
     * memory, driver version), else DJL's view (device, compute capability, memory); never fails a run.
     */
    public static String describeGpu(Device device) {
        int index = Math.max(0, device.getDeviceId());
        try {
            Process p = new ProcessBuilder(
                            "nvidia-smi",
                            "--query-gpu=name,memory.total,driver_version",
                            "--format=csv,noheader",
                            "-i",
                            Integer.toString(index))
                    .redirectErrorStream(true)
                    .start();
            String out;
            try (java.io.InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            }
            if (p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()) {
                String[] f = out.split(",\\s*");
                return f.length == 3 ? f[0] + ", " + f[1] + ", driver " + f[2] : out;
            }
            p.destroyForcibly();
        } catch (java.io.IOException e) {
            // no nvidia-smi: DJL's view below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            java.lang.management.MemoryUsage memory = ai.djl.util.cuda.CudaUtils.getGpuMemory(device);
            return device + ", compute capability " + ai.djl.util.cuda.CudaUtils.getComputeCapability(index) + ", "
                    + memory.getMax() / (1024 * 1024) + " MiB";
        } catch (RuntimeException e) {
            return device.toString();
        }
    }
}
