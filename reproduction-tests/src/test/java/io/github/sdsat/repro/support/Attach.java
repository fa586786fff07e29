package io.github.sdsat.repro.support;

import io.qameta.allure.Allure;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

/** Allure attachments of the gates (text, PNG). */
public final class Attach {
    private Attach() {}

    public static void text(String name, String content) {
        Allure.addAttachment(
                name, "text/plain", new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), ".txt");
    }

    public static void csv(String name, String content) {
        Allure.addAttachment(
                name, "text/csv", new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), ".csv");
    }

    public static void png(String name, byte[] png) {
        Allure.addAttachment(name, "image/png", new ByteArrayInputStream(png), ".png");
    }
}
