package io.chartgate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.Promtool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped alert rules: valid, each tested to fire and to stay silent by promtool, each with a runbook. */
class AlertRulesTest {

    private static final Path RULES = Path.of("alerts/chartgate-rules.yaml");

    @Test
    void promtoolAcceptsTheRules() {
        HelmCli.Result check = Promtool.run("", "check", "rules", RULES.toString());
        assertEquals(0, check.exitCode(), check::toString);
    }

    @Test
    void everyAlertPassesItsPromtoolUnitTests() throws Exception {
        HelmCli.Result test = Promtool.run("", "test", "rules", "alerts/chartgate-rules.test.yaml");
        assertEquals(0, test.exitCode(), test::toString);
        String tests = Files.readString(Path.of("alerts/chartgate-rules.test.yaml"));
        for (String alert : alerts()) {
            assertTrue(tests.contains("alertname: " + alert), alert + " has no promtool unit test");
        }
    }

    @Test
    void everyAlertHasARunbookInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (String alert : alerts()) {
            assertTrue(readme.contains("#### " + alert + "\n"), alert + " has no runbook heading in README.md");
        }
    }

    private static List<String> alerts() throws Exception {
        JsonNode rules = new YAMLMapper().readTree(RULES.toFile());
        List<String> names = new ArrayList<>();
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                names.add(rule.get("alert").asText());
            }
        }
        assertEquals(10, names.size(), names::toString);
        return names;
    }
}
