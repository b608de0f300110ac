package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Kubernetes objects a {@code helm template} printed, as a cluster would get them: every YAML document that
 * has a {@code kind}, in the order helm printed them (empty documents left out).
 */
public final class Manifests {

    private static final YAMLMapper YAML = new YAMLMapper();

    private Manifests() {
    }

    /** The objects {@code rendered} printed; fails the test when helm did not render. */
    public static List<JsonNode> of(HelmCli.Result rendered) throws IOException {
        assertTrue(rendered.ok(), rendered::toString);
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.createParser(rendered.output())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && doc.has("kind")) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** The first object of {@code kind}; fails the test when none was rendered. */
    public static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.get("kind").asText().equals(kind)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " rendered"));
    }
}
