package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IndexDocumentTest {

    private static final UnaryOperator<String> GATEWAY = url -> url.replace("http://cm:8080/", "https://gw/m/");

    private static final String BLOCK = """
            # an index written by hand
            apiVersion: v1
            entries:
              alpha:
              - apiVersion: v1
                appVersion: "1.0"   # quoted: helm reads a string
                created: "2024-01-01T00:00:00Z"
                name: alpha
                version: "1.10.0"
                urls:
                - http://cm:8080/charts/alpha-1.10.0.tgz
                - 'http://cm:8080/charts/alpha-1.10.0-mirror.tgz'
              - appVersion: "2"
                name: alpha
                version: 1.9.0
                urls: [http://cm:8080/charts/alpha-1.9.0.tgz, https://elsewhere.example/alpha-1.9.0.tgz]
              beta:
              - name: beta
                version: 0.1.0
                description: |
                  line one
                  line two
                urls:
                - "http://cm:8080/charts/beta-0.1.0.tgz"
            generated: "2024-01-01T00:00:00Z"
            """;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void onlyTheUrlScalarsChangeAndEveryOtherByteIsTheUpstreams() throws Exception {
        IndexDocument.View view = IndexDocument.parse(bytes(BLOCK)).render(GATEWAY, v -> true);
        assertEquals(4, view.rewritten());
        assertEquals(BLOCK.replace("http://cm:8080/", "https://gw/m/"), text(view.body()));
    }

    @Test
    void anIndexWithNothingToChangeIsTheSameArray() throws Exception {
        byte[] source = bytes(BLOCK);
        assertSame(source, IndexDocument.parse(source).render(UnaryOperator.identity(), v -> true).body());
    }

    @Test
    void crlfLineEndingsAndABomAreKept() throws Exception {
        String crlf = "\uFEFF" + BLOCK.replace("\n", "\r\n");
        IndexDocument.View view = IndexDocument.parse(bytes(crlf)).render(GATEWAY, v -> true);
        assertEquals(crlf.replace("http://cm:8080/", "https://gw/m/"), text(view.body()));
    }

    @Test
    void urlsAfterMultiByteCharactersAreFoundAtTheirBytes() throws Exception {
        String unicode = BLOCK.replace("# an index written by hand", "# 日本語の説明 — émoji 🚀 ñ");
        IndexDocument.View view = IndexDocument.parse(bytes(unicode)).render(GATEWAY, v -> true);
        assertEquals(unicode.replace("http://cm:8080/", "https://gw/m/"), text(view.body()));
    }

    @Test
    void aPlainUrlThatWouldNeedQuotesIsQuoted() throws Exception {
        String index = "apiVersion: v1\nentries:\n  a:\n  - name: a\n    urls: [http://cm:8080/a.tgz]\n";
        IndexDocument.View view = IndexDocument.parse(bytes(index)).render(u -> "https://gw/x,y #z.tgz", v -> true);
        assertEquals(index.replace("http://cm:8080/a.tgz", "\"https://gw/x,y #z.tgz\""), text(view.body()));
        assertEquals("https://gw/x,y #z.tgz", new YAMLMapper().readTree(view.body()).at("/entries/a/0/urls/0").asText());
    }

    @Test
    void anAliasedUrlIsReplacedWhereItIsUsedAndAnAnchoredListWhereItIsWritten() throws Exception {
        String index = """
                apiVersion: v1
                x-mirror: &m http://cm:8080/charts/a-1.tgz
                entries:
                  a:
                  - name: a
                    version: 1.0.0
                    urls: &list
                    - *m
                  - name: a
                    version: 1.0.1
                    urls: *list
                """;
        IndexDocument document = IndexDocument.parse(bytes(index));
        IndexDocument.View view = document.render(GATEWAY, v -> true);
        // Jackson does not resolve scalar aliases; SnakeYAML, like helm's parser, does
        JsonNode tree = new ObjectMapper().valueToTree(new org.yaml.snakeyaml.Yaml().load(text(view.body())));
        assertEquals("https://gw/m/charts/a-1.tgz", tree.at("/entries/a/0/urls/0").asText());
        assertEquals("https://gw/m/charts/a-1.tgz", tree.at("/entries/a/1/urls/0").asText());
        assertEquals("http://cm:8080/charts/a-1.tgz", tree.at("/x-mirror").asText(), "the anchor's own use is not a chart URL");
        assertEquals(List.of("http://cm:8080/charts/a-1.tgz"), document.versions().get(1).urls());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"block", "flow", "json"})
    void removedVersionsAndChartsLeaveAWellFormedIndexWithTheRestUnchanged(String shape) throws Exception {
        byte[] source = switch (shape) {
            case "block" -> bytes(BLOCK);
            case "flow" -> bytes("apiVersion: v1\nentries: {alpha: [{name: alpha, version: 1.10.0, urls: [http://cm:8080/a-1.10.0.tgz]},"
                    + " {name: alpha, version: 1.9.0, urls: [http://cm:8080/a-1.9.0.tgz]}], beta: [{name: beta, version: 0.1.0,"
                    + " urls: [http://cm:8080/b.tgz]}]}\n");
            default -> new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(new YAMLMapper().readTree(BLOCK));
        };
        IndexDocument document = IndexDocument.parse(source);
        assertEquals(3, document.versions().size());
        IndexDocument.View view = document.render(GATEWAY, v -> v.chart().equals("alpha") && v.urls().get(0).contains("1.9.0"));
        assertEquals(2, view.removed());
        JsonNode expected = new YAMLMapper().readTree(source);
        ObjectNode entries = (ObjectNode) expected.get("entries");
        entries.remove("beta");
        ((com.fasterxml.jackson.databind.node.ArrayNode) entries.get("alpha")).remove(0);
        JsonNode after = new YAMLMapper().readTree(view.body());
        assertEquals(GATEWAY.apply(expected.at("/entries/alpha/0/urls/0").asText()), after.at("/entries/alpha/0/urls/0").asText());
        ((ObjectNode) after.at("/entries/alpha/0")).remove("urls");
        ((ObjectNode) expected.at("/entries/alpha/0")).remove("urls");
        assertEquals(expected, after);
        if (shape.equals("json")) {
            new ObjectMapper().readTree(view.body()); // still JSON
        }
    }

    private static String flow(JsonNode entries) {
        StringBuilder out = new StringBuilder("apiVersion: v1\nentries: {");
        entries.fields().forEachRemaining(chart -> {
            out.append(chart.getKey()).append(": [");
            chart.getValue().forEach(v -> out.append("{name: ").append(v.get("name").asText()).append(", version: ")
                    .append(v.get("version").asText()).append(", urls: [").append(v.at("/urls/0").asText()).append("]}, "));
            out.setLength(out.length() - 2);
            out.append("],\n  ");
        });
        out.setLength(out.length() - 4);
        return out.append("}\n").toString();
    }

    /** Every way to keep some of four versions of one chart and some of four charts, in each style. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"block", "flow", "json"})
    void anySubsetOfVersionsAndChartsCanBeCutAndTheRestParsesAsBefore(String shape) throws Exception {
        StringBuilder block = new StringBuilder("apiVersion: v1\nentries:\n");
        for (String chart : List.of("a", "b", "c", "d")) {
            block.append("  ").append(chart).append(":\n");
            for (int v = 0; v < 4; v++) {
                block.append("  - name: ").append(chart).append("\n    version: 1.0.").append(v)
                        .append("\n    urls:\n    - http://cm:8080/").append(chart).append("-1.0.").append(v).append(".tgz\n");
            }
        }
        JsonNode all = new YAMLMapper().readTree(block.toString());
        byte[] source = switch (shape) {
            case "block" -> bytes(block.toString());
            case "flow" -> bytes(flow(all.get("entries")));
            default -> new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(all);
        };
        IndexDocument document = IndexDocument.parse(source);
        for (int mask = 1; mask < 1 << 16; mask += 37) {
            int m = mask;
            IndexDocument.View view = document.render(GATEWAY, v -> (m >> ("abcd".indexOf(v.chart()) * 4
                    + v.urls().get(0).charAt(v.urls().get(0).length() - 5) - '0') & 1) == 0);
            ObjectNode expected = all.deepCopy();
            ObjectNode entries = (ObjectNode) expected.get("entries");
            for (int c = 3; c >= 0; c--) {
                String chart = "abcd".substring(c, c + 1);
                com.fasterxml.jackson.databind.node.ArrayNode versions = (com.fasterxml.jackson.databind.node.ArrayNode) entries.get(chart);
                for (int v = 3; v >= 0; v--) {
                    if ((m >> (c * 4 + v) & 1) == 1) {
                        versions.remove(v);
                    } else {
                        ((ObjectNode) versions.get(v)).set("urls", new ObjectMapper().createArrayNode()
                                .add("https://gw/m/" + chart + "-1.0." + v + ".tgz"));
                    }
                }
                if (versions.isEmpty()) {
                    entries.remove(chart);
                }
            }
            JsonNode after = new YAMLMapper().readTree(view.body());
            assertEquals(expected, after, () -> "mask " + Integer.toBinaryString(m) + ":\n" + text(view.body()));
            if (shape.equals("json")) {
                assertEquals(expected, new ObjectMapper().readTree(view.body()));
            }
        }
    }

    @Test
    void aBlockVersionIsCutAsWholeLinesAndItsNeighboursKeepTheirBytes() throws Exception {
        IndexDocument.View view = IndexDocument.parse(bytes(BLOCK)).render(UnaryOperator.identity(),
                v -> !v.urls().get(0).contains("1.9.0"));
        String expected = BLOCK.replace("""
                  - appVersion: "2"
                    name: alpha
                    version: 1.9.0
                    urls: [http://cm:8080/charts/alpha-1.9.0.tgz, https://elsewhere.example/alpha-1.9.0.tgz]
                """, "");
        assertEquals(expected, text(view.body()));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"apiVersion: v1\nentries:\n  a:\n  - name: a\n    urls: [x.tgz]\ngenerated: now\n",
        "{\"apiVersion\": \"v1\", \"entries\": {\"a\": [{\"name\": \"a\", \"urls\": [\"x.tgz\"]}]}}",
        "apiVersion: v1\nentries: {a: [{name: a, urls: [x.tgz]}]}\n"})
    void anIndexWithEveryVersionRemovedHasEmptyEntries(String index) throws Exception {
        IndexDocument.View view = IndexDocument.parse(bytes(index)).render(UnaryOperator.identity(), v -> false);
        JsonNode tree = new YAMLMapper().readTree(view.body());
        assertTrue(tree.get("entries").isObject() && tree.get("entries").isEmpty(), () -> text(view.body()));
        assertEquals("v1", tree.get("apiVersion").asText());
    }

    @Test
    void aJsonIndexKeepsItsBytesAndEscapesTheNewUrl() throws Exception {
        String json = "{\n  \"apiVersion\": \"v1\",\n  \"entries\": {\n    \"a\": [\n      {\"appVersion\": \"1.0\", \"urls\": "
                + "[\"http://cm:8080/a.tgz\", \"a.tgz\"]}\n    ]\n  }\n}\n";
        IndexDocument.View view = IndexDocument.parse(bytes(json)).render(GATEWAY, v -> true);
        assertEquals(json.replace("http://cm:8080/", "https://gw/m/"), text(view.body()));
        assertTrue(text(IndexDocument.parse(bytes(json)).render(u -> u.startsWith("http") ? "a\"b" : u, v -> true).body())
                .contains("[\"a\\\"b\", \"a.tgz\"]"));
    }

    /**
     * Found by IndexRewriterFuzzTest: a URL written anew keeps every character, escaping what UTF-8 cannot hold (a
     * lone surrogate from a JSON escape) and what YAML would read as a line break or refuse (NEL, LS, C1 controls).
     */
    @Test
    void aUrlWrittenAnewKeepsEveryCharacter() throws Exception {
        String json = "{\"apiVersion\":\"v1\",\"entries\":{\"a\":[{\"urls\":[\"http:\\/\\/cm:8080\\/a\\ud83d8\\u2028.tgz\"]}]}}";
        byte[] served = IndexDocument.parse(bytes(json)).render(GATEWAY, v -> true).body();
        assertEquals("https://gw/m/a\ud83d8\u2028.tgz", new ObjectMapper().readTree(served).at("/entries/a/0/urls/0").asText());
        String yaml = "apiVersion: v1\nentries:\n  a:\n  - urls:\n    - \"\\x68ttp://cm:8080/a\\x85\\L\\x80\\ud83d.tgz\"\n";
        byte[] view = IndexDocument.parse(bytes(yaml)).render(GATEWAY, v -> true).body();
        Object tree = new org.yaml.snakeyaml.Yaml().load(text(view));
        assertEquals("https://gw/m/a\u0085\u2028\u0080\ud83d.tgz",
                new ObjectMapper().valueToTree(tree).at("/entries/a/0/urls/0").asText(), text(view));
    }

    /** Found by IndexRewriterFuzzTest: a comment after the "- " of a version belongs to the version it starts. */
    @Test
    void aCutVersionTakesTheCommentAfterItsDash() throws Exception {
        String index = """
                apiVersion: v1
                entries:
                  a:
                  - # the old one -
                    # cut, with its comments (one ending in a dash) -
                    name: a
                    version: 1.0.0
                  - name: a # the new one
                    version: 2.0.0
                """;
        String served = text(IndexDocument.parse(bytes(index)).render(GATEWAY, v -> v.extent().start() > 40).body());
        assertEquals("apiVersion: v1\nentries:\n  a:\n  - name: a # the new one\n    version: 2.0.0\n", served);
    }

    /** Found by IndexRewriterFuzzTest: after a complex key ({@code ? …}) comes its value, not the next key. */
    @Test
    void aComplexKeyInEntriesIsFollowedByItsValue() throws Exception {
        String index = """
                apiVersion: v1
                entries:
                  a:
                  - name: a
                    version: 1.0.0
                  ? [not, a, chart]
                  : x
                  b: a multi-line
                     plain scalar
                generated: now
                """;
        IndexDocument document = IndexDocument.parse(bytes(index));
        String allCut = text(document.render(GATEWAY, v -> false).body());
        assertEquals("apiVersion: v1\nentries: {}\ngenerated: now\n", allCut);
    }

    /** Found by IndexRewriterFuzzTest: YAML also breaks lines at a lone CR (and NEL, LS, PS), and so do the cuts. */
    @ParameterizedTest(name = "[{index}]")
    @ValueSource(strings = {"\r", "\u0085", "\u2028", "\u2029", "\r\n", "\n"})
    void everyYamlLineBreakEndsALine(String lineBreak) throws Exception {
        String index = String.join(lineBreak, "apiVersion: v1", "entries:", "  a:", "  - name: a", "    version: 1.0.0",
                "    urls: [http://cm:8080/a-1.tgz]", "  - name: a", "    version: 2.0.0", "  b:", "  - name: b",
                "generated: \"2024-01-01\"", "");
        IndexDocument document = IndexDocument.parse(bytes(index));
        String oneCut = text(document.render(GATEWAY, v -> !v.urls().isEmpty()).body());
        assertEquals(String.join(lineBreak, "apiVersion: v1", "entries:", "  a:", "  - name: a", "    version: 1.0.0",
                "    urls: [https://gw/m/a-1.tgz]", "generated: \"2024-01-01\"", ""), oneCut);
        String allCut = text(document.render(GATEWAY, v -> false).body());
        assertEquals(String.join(lineBreak, "apiVersion: v1", "entries: {}", "generated: \"2024-01-01\"", ""), allCut);
        assertEquals("2024-01-01", new YAMLMapper().readTree(allCut).get("generated").asText());
    }

    /** Found by IndexRewriterFuzzTest: in a flow sequence a plain scalar ends at '?', so such a URL is quoted. */
    @Test
    void aUrlWithAQueryWrittenInAFlowSequenceIsQuoted() throws Exception {
        String index = """
                apiVersion: v1
                x-chart: &u http://cm:8080/a.tgz?token=1
                entries:
                  a:
                  - name: a
                    version: 1.0.0
                    urls: [*u]
                """;
        IndexDocument.View view = IndexDocument.parse(bytes(index)).render(GATEWAY, v -> true);
        assertEquals(index.replace("[*u]", "[\"https://gw/m/a.tgz?token=1\"]"), text(view.body()));
        assertTrue(IndexDocument.plainSafe("https://gw/m/a.tgz?token=1", false));
        assertFalse(IndexDocument.plainSafe("https://gw/m/a.tgz?token=1", true));
    }

    /** Found by IndexRewriterFuzzTest: a cut version held anchors that the versions kept alias. */
    @Test
    void aKeptAliasOfAnAnchorInACutVersionIsWrittenOutInFull() throws Exception {
        String index = """
                apiVersion: v1
                entries:
                  a:
                  - &v1
                    name: a
                    version: 1.0.0
                    home: &home https://example.org/a
                    maintainers: &team
                    - &ana {name: Ana, email: ana@example.org}
                    - name: Bo
                    description: &text |
                      two
                      lines
                    digest: &d 0123
                    urls: &urls
                    - &url http://cm:8080/a-1.0.0.tgz
                    - charts/a-1.0.0.tgz
                  - name: a
                    version: 1.0.1
                    home: *home
                    maintainers: *team
                    description: *text
                    digest: *d
                    urls: *urls
                  - name: a
                    version: 1.0.2
                    maintainers: [{<<: *ana, url: "https://example.org/ana"}]
                    urls: [*url]
                  - *v1
                generated: *d
                """;
        IndexDocument document = IndexDocument.parse(bytes(index));
        IndexDocument.View view = document.render(GATEWAY, v -> v != document.versions().get(0));
        String served = text(view.body());
        JsonNode tree = new ObjectMapper().valueToTree(new org.yaml.snakeyaml.Yaml().load(served));
        JsonNode expected = new ObjectMapper().valueToTree(new org.yaml.snakeyaml.Yaml().load(index));
        ((com.fasterxml.jackson.databind.node.ArrayNode) expected.at("/entries/a")).remove(0);
        for (JsonNode version : expected.at("/entries/a")) {
            com.fasterxml.jackson.databind.node.ArrayNode urls = (com.fasterxml.jackson.databind.node.ArrayNode) version.get("urls");
            for (int i = 0; i < urls.size(); i++) {
                urls.set(i, GATEWAY.apply(urls.get(i).asText()));
            }
        }
        assertEquals(expected, tree, served);
        assertEquals(1, view.removed());
        assertTrue(served.contains("    home: https://example.org/a\n"), served);
        assertTrue(served.contains("    description: \"two\\nlines\\n\"\n"), served);
        assertTrue(served.contains("    urls: [https://gw/m/a-1.0.0.tgz, charts/a-1.0.0.tgz]\n"), served);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"apiVersion: v1\nentries: [unclosed\n", "{\"apiVersion\": ", "a: 1\n---\nb: 2\n", "x: \"\u0001\"\n",
        // found by IndexRewriterFuzzTest: SnakeYAML threw IllegalArgumentException for an escape that is no code point
        "x: \"\\U0041F680\"\n"})
    void aMalformedIndexIsAnIoException(String index) {
        assertThrows(IOException.class, () -> IndexDocument.parse(bytes(index)));
    }

    /** Found by IndexRewriterFuzzTest: Jackson skipped a name it did not need without checking its bytes. */
    @Test
    void invalidUtf8InAJsonIndexIsRefusedToo() {
        byte[] index = bytes("{\"apiVersion\": \"v1\", \"entries\": {\"a\": [{\"descriptXion\": \"x\", \"urls\": []}]}}");
        index[new String(index, StandardCharsets.ISO_8859_1).indexOf('X')] = (byte) 0xff;
        assertThrows(IOException.class, () -> IndexDocument.parse(index));
    }

    @Test
    void invalidUtf8IsRefusedRatherThanReplaced() {
        byte[] index = bytes("apiVersion: v1\ndescription: x\n");
        index[index.length - 2] = (byte) 0xc3;
        assertThrows(IOException.class, () -> IndexDocument.parse(index));
    }
}
