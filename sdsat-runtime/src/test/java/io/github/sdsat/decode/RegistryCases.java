package io.github.sdsat.decode;

import java.util.List;

/** Test cases derived from {@link DecoderRegistry}, so that a new decoder joins the runtime's decoder tests. */
final class RegistryCases {
    private RegistryCases() {}

    /** Names of the decoders whose entry says they sample, baseline first. */
    static List<String> samplers() {
        return DecoderRegistry.all().stream()
                .filter(DecoderSpec::samples)
                .map(DecoderSpec::name)
                .toList();
    }

    /** The smallest k at or above {@code wanted} that decoder {@code name} accepts ({@code wanted} when k is ignored). */
    static int kAtLeast(String name, int wanted) {
        KRange range = DecoderRegistry.spec(name).kRange();
        return range.isIgnored()
                ? wanted
                : range.values().stream()
                        .filter(k -> k >= wanted)
                        .findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(
                                name + " accepts no k >= " + wanted + ": " + range.text()));
    }
}
