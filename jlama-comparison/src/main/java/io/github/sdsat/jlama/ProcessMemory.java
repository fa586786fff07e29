package io.github.sdsat.jlama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * This process's resident memory from {@code /proc/self/status}, in kB; -1 where the kernel does not say.
 *
 * <p>The split matters for Jlama: it maps the safetensors files, so its weights are file-backed pages
 * ({@code RssFile}, page cache the kernel can drop and read again) while our runtime copies them into the heap
 * ({@code RssAnon}).
 *
 * @param peakKb {@code VmHWM}, the peak resident set
 * @param residentKb {@code VmRSS} now
 * @param anonymousKb {@code RssAnon} now (heap, direct buffers, JIT)
 * @param fileKb {@code RssFile} now (mapped files, the JDK's own libraries)
 */
public record ProcessMemory(long peakKb, long residentKb, long anonymousKb, long fileKb) {
    static final Path STATUS = Path.of("/proc/self/status");

    /** Reads {@code /proc/self/status}; all -1 when it cannot be read (not Linux). */
    static ProcessMemory read() {
        try {
            return parse(Files.readAllLines(STATUS));
        } catch (IOException | RuntimeException e) {
            return new ProcessMemory(-1, -1, -1, -1);
        }
    }

    /** The four fields from the lines of a {@code /proc/<pid>/status} file ("VmHWM:   123 kB"). */
    static ProcessMemory parse(List<String> lines) {
        return new ProcessMemory(
                field(lines, "VmHWM:"), field(lines, "VmRSS:"), field(lines, "RssAnon:"), field(lines, "RssFile:"));
    }

    private static long field(List<String> lines, String name) {
        for (String line : lines) {
            if (line.startsWith(name)) {
                String value = line.substring(name.length()).strip();
                int space = value.indexOf(' ');
                return Long.parseLong(space < 0 ? value : value.substring(0, space));
            }
        }
        return -1;
    }

    /** "13.41 GB peak (12.20 GB file-backed, 1.19 GB anonymous at the end)", or "unknown". */
    String describe() {
        if (peakKb < 0) {
            return "unknown (no /proc/self/status)";
        }
        return String.format(
                Locale.ROOT,
                "%.2f GB peak (at the end: %.2f GB file-backed, %.2f GB anonymous)",
                peakKb * 1024 / 1e9,
                fileKb * 1024 / 1e9,
                anonymousKb * 1024 / 1e9);
    }
}
