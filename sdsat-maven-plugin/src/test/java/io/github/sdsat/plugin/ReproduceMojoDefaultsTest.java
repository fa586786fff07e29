package io.github.sdsat.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.sdsat.bench.ReproductionConfig;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Maven annotations need their default values as string constants, so {@code ReproduceMojo} spells out values the
 * runtime also defines ({@link ReproductionConfig}). This reads the generated plugin descriptor and checks the two
 * agree, so that changing a default in one place and not the other fails the build.
 */
class ReproduceMojoDefaultsTest {
    @Test
    void reproduceGoalDefaultsAreTheRuntimeDefaults() throws Exception {
        Map<String, String> defaults = descriptorDefaults("reproduce");
        assertThat(defaults.get("sdsat.kList")).isEqualTo(joined(ReproductionConfig.DEFAULT_K_LIST));
        assertThat(defaults.get("sdsat.samplingKList")).isEqualTo(joined(ReproductionConfig.DEFAULT_SAMPLING_K_LIST));
        assertThat(defaults.get("sdsat.datasets")).isEqualTo(String.join(",", ReproductionConfig.DEFAULT_DATASETS));
        assertThat(Double.parseDouble(defaults.get("sdsat.dataLimit")))
                .isEqualTo(ReproductionConfig.DEFAULT_DATA_LIMIT);
        assertThat(Integer.parseInt(defaults.get("sdsat.maxNewTokens")))
                .isEqualTo(ReproductionConfig.DEFAULT_MAX_NEW_TOKENS);
        assertThat(Integer.parseInt(defaults.get("sdsat.infillMaxNewTokens")))
                .isEqualTo(ReproductionConfig.DEFAULT_INFILL_MAX_NEW_TOKENS);
        assertThat(Integer.parseInt(defaults.get("sdsat.warmup"))).isEqualTo(ReproductionConfig.DEFAULT_WARMUP);
    }

    private static String joined(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** Property name → default value of one goal's parameters, from META-INF/maven/plugin.xml. */
    private static Map<String, String> descriptorDefaults(String goal) throws Exception {
        try (InputStream in = ReproduceMojoDefaultsTest.class.getResourceAsStream("/META-INF/maven/plugin.xml")) {
            assertThat(in)
                    .as("the plugin descriptor generated at process-classes")
                    .isNotNull();
            Document doc =
                    DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
            NodeList mojos = doc.getElementsByTagName("mojo");
            for (int i = 0; i < mojos.getLength(); i++) {
                Element mojo = (Element) mojos.item(i);
                if (!goal.equals(mojo.getElementsByTagName("goal").item(0).getTextContent())) {
                    continue;
                }
                Map<String, String> out = new HashMap<>();
                Element configuration =
                        (Element) mojo.getElementsByTagName("configuration").item(0);
                NodeList parameters = configuration.getChildNodes();
                for (int p = 0; p < parameters.getLength(); p++) {
                    if (parameters.item(p) instanceof Element e && e.hasAttribute("default-value")) {
                        String expression = e.getTextContent().strip(); // ${sdsat.kList}
                        out.put(expression.substring(2, expression.length() - 1), e.getAttribute("default-value"));
                    }
                }
                return out;
            }
        }
        throw new AssertionError("No goal " + goal + " in the plugin descriptor");
    }
}
