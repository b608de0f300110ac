package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IndexRewriterTest {

    private static final IndexRewriter REWRITER = new IndexRewriter(
            List.of("http://cm:8080", "http://charts.internal/stable/", "s3://bucket/"), "https://gw.example.com", "/museum");

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            http://cm:8080/charts/a-1.0.0.tgz             | https://gw.example.com/museum/charts/a-1.0.0.tgz
            HTTP://CM:8080/charts/a-1.0.0.tgz             | https://gw.example.com/museum/charts/a-1.0.0.tgz
            http://cm:8080/Charts/A.tgz                   | https://gw.example.com/museum/Charts/A.tgz
            http://charts.internal/stable/a-1.0.0.tgz     | https://gw.example.com/museum/a-1.0.0.tgz
            http://charts.internal/other/a-1.0.0.tgz      | http://charts.internal/other/a-1.0.0.tgz
            http://charts.internal/STABLE/a-1.0.0.tgz     | http://charts.internal/STABLE/a-1.0.0.tgz
            s3://bucket/a-1.0.0.tgz                       | https://gw.example.com/museum/a-1.0.0.tgz
            https://cm:8080/charts/a.tgz                  | https://cm:8080/charts/a.tgz
            http://cm:80800/charts/a.tgz                  | http://cm:80800/charts/a.tgz
            charts/a-1.0.0.tgz                            | charts/a-1.0.0.tgz
            a-1.0.0.tgz                                   | a-1.0.0.tgz
            https://elsewhere.example/a.tgz               | https://elsewhere.example/a.tgz
            """)
    void urlsUnderABaseMoveToTheGatewayAndOthersStay(String url, String expected) {
        assertEquals(expected, REWRITER.rewriteUrl(url));
    }

    @Test
    void onlyUrlsListsAreRewrittenAndEverythingElseSurvives() throws Exception {
        String index = """
                apiVersion: v1
                entries:
                  app:
                  - apiVersion: v2
                    name: app
                    version: 1.0.0
                    digest: abc
                    home: http://cm:8080/charts/not-a-chart-url
                    sources: [http://cm:8080/source]
                    urls:
                    - http://cm:8080/charts/app-1.0.0.tgz
                    - charts/app-1.0.0.tgz
                    annotations:
                      urls: "http://cm:8080/kept"
                generated: "2024-01-01T00:00:00Z"
                serverInfo: {}
                """;
        IndexRewriter.Result r = REWRITER.rewrite(index.getBytes(StandardCharsets.UTF_8));
        assertEquals(1, r.rewritten());
        JsonNode before = new YAMLMapper().readTree(index);
        JsonNode after = new YAMLMapper().readTree(r.index());
        ((com.fasterxml.jackson.databind.node.ArrayNode) before.at("/entries/app/0/urls")).set(0,
                "https://gw.example.com/museum/charts/app-1.0.0.tgz");
        assertEquals(before, after);
    }

    @Test
    void aJsonIndexStaysJson() throws Exception {
        String index = "{\"apiVersion\":\"v1\",\"entries\":{\"app\":[{\"name\":\"app\",\"version\":\"1.0.0\","
                + "\"urls\":[\"s3://bucket/app-1.0.0.tgz\"]}]}}";
        IndexRewriter.Result r = REWRITER.rewrite(index.getBytes(StandardCharsets.UTF_8));
        JsonNode after = new ObjectMapper().readTree(r.index());
        assertEquals("https://gw.example.com/museum/app-1.0.0.tgz", after.at("/entries/app/0/urls/0").asText());
        assertEquals(1, r.rewritten());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            http://cm:8080/charts/a-1.0.0.tgz             | /museum/charts/a-1.0.0.tgz
            https://gw.example.com/museum/x/a.tgz?sig=1   | /museum/x/a.tgz
            a-1.0.0.tgz                                   | /museum/team%20a/a-1.0.0.tgz
            charts/b c.tgz                                | /museum/team%20a/charts/b%20c.tgz
            ../b/x.tgz                                    | /museum/b/x.tgz
            /other/x.tgz                                  | /other/x.tgz
            café.tgz                                 | /museum/team%20a/caf%C3%A9.tgz
            https://elsewhere.example/a.tgz               | none
            //elsewhere.example/a.tgz                     | none
            """)
    void aChartUrlMapsToTheGatewayPathHelmFetchesItAt(String url, String path) {
        assertEquals(path, REWRITER.gatewayPath(url, "/museum/team%20a/index.yaml"));
    }

    @Test
    void aRootRouteAddsNoPrefix() {
        assertEquals("https://gw:8443/charts/a.tgz",
                new IndexRewriter(List.of("http://cm:8080/"), "https://gw:8443", "/").rewriteUrl("http://cm:8080/charts/a.tgz"));
    }

    @Test
    void tenThousandChartsAreAllRewritten() throws Exception {
        StringBuilder index = new StringBuilder("apiVersion: v1\nentries:\n");
        for (int c = 0; c < 1000; c++) {
            index.append("  chart").append(c).append(":\n");
            for (int v = 0; v < 10; v++) {
                index.append("  - name: chart").append(c).append("\n    version: 1.").append(v).append(".0\n")
                        .append("    description: ").append("a chart description of some length, as real ones have. ".repeat(8)).append("\n")
                        .append("    digest: ").append("0".repeat(64)).append("\n")
                        .append("    urls:\n    - http://cm:8080/charts/chart").append(c).append("-1.").append(v).append(".0.tgz\n");
            }
        }
        byte[] bytes = index.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(bytes.length > 5_000_000, "larger than SnakeYAML's default 3 MB limit: " + bytes.length);
        IndexRewriter.Result r = REWRITER.rewrite(bytes);
        assertEquals(10_000, r.rewritten());
        String out = new String(r.index(), StandardCharsets.UTF_8);
        assertEquals(10_000, out.split("https://gw.example.com/museum/charts/", -1).length - 1);
        assertTrue(!out.contains("http://cm:8080"));
    }
}
