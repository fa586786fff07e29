package io.github.sdsat.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.sdsat.SdsatException;
import io.github.sdsat.results.GateResult;
import io.github.sdsat.results.RunResults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The gates of a run as test results that CI systems read: one JUnit XML file ({@value #JUNIT_XML}, the Ant/Surefire
 * schema GitHub Actions, GitLab and Jenkins show) and one Allure result per gate under {@value #ALLURE_FOLDER}, each
 * gate a test case whose message carries its figures. A gate that failed is a failure; one that was evaluated but
 * is not enforced (a report-only lossless gate, a vanished row, an uninformative measure) is skipped with its
 * reason, so that a CI summary never counts it as a pass.
 */
public final class GateReports {
    /** The JUnit XML file, under the run folder (Jenkins' and GitLab's usual pattern is {@code **}/TEST-*.xml). */
    public static final String JUNIT_XML = "junit/TEST-sdsat-reproduce.xml";
    /** Allure results folder, under the run folder: {@code allure generate <runDir>/allure-results}. */
    public static final String ALLURE_FOLDER = "allure-results";

    static final String SUITE = "sdsat:reproduce";

    private static final ObjectMapper ALLURE_JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private GateReports() {}

    /** The JUnit XML of the run's gates. */
    public static byte[] junitXml(RunResults results, String runName) {
        List<GateResult> gates = results.gates();
        long failures = gates.stream()
                .filter(g -> g.status() == GateResult.Status.FAILED)
                .count();
        long skipped = gates.stream()
                .filter(g -> g.status() == GateResult.Status.NOT_ENFORCED)
                .count();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("testsuite");
            xml.writeAttribute("name", SUITE + " " + runName);
            xml.writeAttribute("tests", String.valueOf(gates.size()));
            xml.writeAttribute("failures", String.valueOf(failures));
            xml.writeAttribute("errors", "0");
            xml.writeAttribute("skipped", String.valueOf(skipped));
            xml.writeAttribute("time", "0");
            xml.writeCharacters("\n  ");
            xml.writeStartElement("properties");
            for (Map.Entry<String, String> property : properties(results).entrySet()) {
                xml.writeCharacters("\n    ");
                xml.writeEmptyElement("property");
                xml.writeAttribute("name", property.getKey());
                xml.writeAttribute("value", xmlSafe(property.getValue()));
            }
            xml.writeCharacters("\n  ");
            xml.writeEndElement();
            for (GateResult gate : gates) {
                xml.writeCharacters("\n  ");
                xml.writeStartElement("testcase");
                xml.writeAttribute("classname", "sdsat.reproduce." + gate.group());
                xml.writeAttribute("name", xmlSafe(gate.name()));
                xml.writeAttribute("time", "0");
                switch (gate.status()) {
                    case FAILED -> {
                        xml.writeCharacters("\n    ");
                        xml.writeStartElement("failure");
                        xml.writeAttribute("type", "GateFailed");
                        xml.writeAttribute("message", xmlSafe(gate.message()));
                        xml.writeCharacters(xmlSafe(gate.message() + "\n" + figures(gate)));
                        xml.writeEndElement();
                    }
                    case NOT_ENFORCED -> {
                        xml.writeCharacters("\n    ");
                        xml.writeEmptyElement("skipped");
                        xml.writeAttribute("message", xmlSafe(gate.message()));
                    }
                    case PASSED -> {}
                }
                xml.writeCharacters("\n    ");
                xml.writeStartElement("system-out");
                xml.writeCharacters(xmlSafe(gate.message() + "\n" + figures(gate)));
                xml.writeEndElement();
                xml.writeCharacters("\n  ");
                xml.writeEndElement();
            }
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new SdsatException("Cannot write the gates as JUnit XML: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** One Allure result (file name to JSON) per gate, named by a UUID derived from the run and the gate. */
    public static Map<String, byte[]> allureResults(RunResults results, String runName) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        long now = System.currentTimeMillis();
        for (GateResult gate : results.gates()) {
            String uuid = UUID.nameUUIDFromBytes((runName + "\n" + gate.title()).getBytes(StandardCharsets.UTF_8))
                    .toString();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("uuid", uuid);
            // Same gate, same history across runs: Allure's trend and retries follow it.
            result.put(
                    "historyId",
                    UUID.nameUUIDFromBytes(gate.title().getBytes(StandardCharsets.UTF_8))
                            .toString());
            result.put("name", gate.name());
            result.put("fullName", "sdsat.reproduce." + gate.group() + "." + gate.name());
            result.put(
                    "status",
                    switch (gate.status()) {
                        case PASSED -> "passed";
                        case FAILED -> "failed";
                        case NOT_ENFORCED -> "skipped";
                    });
            result.put("statusDetails", Map.of("message", gate.message()));
            result.put("stage", "finished");
            result.put("start", now);
            result.put("stop", now);
            List<Map<String, String>> labels = new ArrayList<>();
            labels.add(Map.of("name", "parentSuite", "value", SUITE));
            labels.add(Map.of("name", "suite", "value", gate.group()));
            labels.add(Map.of("name", "framework", "value", "sdsat"));
            result.put("labels", labels);
            List<Map<String, String>> parameters = new ArrayList<>();
            gate.figures()
                    .forEach((name, value) -> parameters.add(Map.of("name", name, "value", String.valueOf(value))));
            result.put("parameters", parameters);
            try {
                files.put(uuid + "-result.json", ALLURE_JSON.writeValueAsBytes(result));
            } catch (IOException e) {
                throw new SdsatException("Cannot write the Allure result of gate " + gate.title(), e);
            }
        }
        return files;
    }

    /** The console text of the gates: one line each, failed ones first, then the verdict. */
    public static String summary(RunResults results) {
        StringBuilder text = new StringBuilder();
        List<GateResult> ordered = new ArrayList<>(results.gates());
        ordered.sort(java.util.Comparator.comparingInt(g -> g.status().ordinal() == 1 ? 0 : 1));
        for (GateResult gate : ordered) {
            text.append(String.format(
                    Locale.ROOT,
                    "  %-12s %s: %s%n",
                    gate.status().name().replace('_', ' '),
                    gate.title(),
                    gate.message()));
        }
        long failed = results.failedGates().size();
        text.append(
                failed == 0
                        ? "  every enforced gate passed (" + results.gates().size() + " evaluated)"
                        : "  " + failed + " of " + results.gates().size() + " gates failed");
        return text.toString();
    }

    private static Map<String, String> properties(RunResults results) {
        Map<String, String> properties = new LinkedHashMap<>();
        if (results.environment().modelPath() != null) {
            properties.put("model", results.environment().modelPath());
        }
        if (results.environment().modelSha() != null) {
            properties.put("modelSha256", results.environment().modelSha());
        }
        Object gates = results.config().get("gates");
        if (gates != null) {
            properties.put("gates", String.valueOf(gates));
        }
        return properties;
    }

    /**
     * Text with the characters XML 1.0 cannot hold (control characters other than tab, newline and carriage return,
     * lone surrogates, U+FFFE/U+FFFF) written as {@code \\uXXXX}: messages quote token texts, which may be any byte.
     */
    static String xmlSafe(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean surrogatePair = Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (surrogatePair) {
                b.append(c).append(text.charAt(++i));
            } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    || Character.isSurrogate(c)
                    || c == 0xFFFE
                    || c == 0xFFFF) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String figures(GateResult gate) {
        StringBuilder b = new StringBuilder();
        gate.figures()
                .forEach((name, value) ->
                        b.append(name).append(" = ").append(value).append('\n'));
        return b.toString();
    }
}
