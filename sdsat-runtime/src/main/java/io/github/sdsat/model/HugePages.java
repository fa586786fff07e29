package io.github.sdsat.model;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this JVM's heap can sit on transparent huge pages (2 MiB) instead of 4 KiB pages.
 *
 * <p>Why it matters: a model whose weights are streamed from memory (a 7B checkpoint: 13 GB read per token) walks
 * the page tables once per 4 KiB and the hardware prefetchers stop at every 4 KiB boundary. Measured on the
 * 7B-shaped BF16 model (docs/PERFORMANCE.md section 7, 2-core EPYC, 2 threads): one-token passes of 0.31-0.76 s that
 * grew slower over 40 passes with 4 KiB pages, 0.29-0.45 s and steady with {@code -XX:+UseTransparentHugePages}.
 * Linux gives a JVM huge pages when the kernel's mode is {@code always}, or {@code madvise} and the JVM asks for them
 * with that flag.
 *
 * @param kernelMode the selected mode of {@code /sys/kernel/mm/transparent_hugepage/enabled} ({@code always},
 *     {@code madvise}, {@code never}), or null where the file does not exist (not Linux, no THP)
 * @param jvmRequests whether this JVM runs with {@code -XX:+UseTransparentHugePages}
 */
public record HugePages(String kernelMode, boolean jvmRequests) {

    private static final Path KERNEL_SETTING = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    /** The flag that asks for huge pages, as a user adds it to {@code MAVEN_OPTS} or a {@code java} line. */
    public static final String JVM_FLAG = "-XX:+UseTransparentHugePages";

    /** This JVM on this kernel. */
    public static HugePages detect() {
        return new HugePages(kernelMode(KERNEL_SETTING), jvmFlag());
    }

    /** True when the heap is backed by huge pages (as far as kernel mode and JVM flag decide it). */
    public boolean heapOnHugePages() {
        return "always".equals(kernelMode) || ("madvise".equals(kernelMode) && jvmRequests);
    }

    /** True when adding {@link #JVM_FLAG} would put the heap on huge pages (the kernel allows it, the JVM does not ask). */
    public boolean flagWouldHelp() {
        return "madvise".equals(kernelMode) && !jvmRequests;
    }

    /** The mode the kernel file selects: the bracketed word of e.g. {@code "always [madvise] never"}. */
    static String kernelMode(Path setting) {
        try {
            String text = Files.readString(setting, StandardCharsets.US_ASCII);
            int open = text.indexOf('[');
            int close = text.indexOf(']', open + 1);
            return open >= 0 && close > open ? text.substring(open + 1, close) : null;
        } catch (IOException | SecurityException e) {
            return null; // no THP on this system: nothing to advise
        }
    }

    private static boolean jvmFlag() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotspot != null
                    && Boolean.parseBoolean(
                            hotspot.getVMOption("UseTransparentHugePages").getValue());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false; // not a HotSpot JVM: the flag does not exist there
        }
    }
}
