package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.IndexCorpus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Every real-world index shape of {@code src/test/resources/index-corpus/} through the rewriter: the served index
 * must be the upstream's bytes with only the chart URLs under the upstream changed, so what helm parses from it
 * (a YAML 1.1 reader, where {@code 1.0}, {@code yes} and {@code ~} are not strings) is what it would parse from
 * the upstream's own file, URLs aside.
 */
class IndexCorpusTest {

    private static final String UPSTREAM = "http://upstream.example:8080/repo";
    private static final String GATEWAY = "https://gw.example.com/museum";
    private static final IndexRewriter REWRITER = new IndexRewriter(List.of(UPSTREAM), "https://gw.example.com", "/museum");

    /**
     * How many chart URLs under the upstream each file spells out in {@code entries.*[*].urls}. An alias of an
     * anchored URL is not a second one; URLs in comments, {@code home}, {@code sources}, {@code icon},
     * {@code dependencies} and annotations are not chart URLs.
     */
    private static final Map<String, Integer> UPSTREAM_URLS = Map.ofEntries(
            Map.entry("anchored-url.yaml", 1),
            Map.entry("anchors.yaml", 2),
            Map.entry("chart-releaser.yaml", 0),
            Map.entry("chartmuseum-chart-url.yaml", 2),
            Map.entry("chartmuseum.yaml", 0),
            Map.entry("comments.yaml", 2),
            Map.entry("crlf-bom.yaml", 2),
            Map.entry("flow-style.yaml", 4),
            Map.entry("helm-docs-example.yaml", 3),
            Map.entry("helm-json.json", 1),
            Map.entry("json-escaped-url.json", 1),
            Map.entry("mixed-urls.yaml", 4),
            Map.entry("quoted-numbers.yaml", 10),
            Map.entry("unicode-block-scalars.yaml", 4),
            Map.entry("yaml11-words.yaml", 3));

    static List<String> corpus() {
        return IndexCorpus.files();
    }

    static Stream<String> indexesWithNothingToRewrite() {
        return corpus().stream().filter(file -> UPSTREAM_URLS.getOrDefault(file, -1) == 0);
    }

    private static byte[] upstreamIndex(String file) {
        return IndexCorpus.fill(IndexCorpus.template(file), UPSTREAM, IndexCorpus::fakeDigest);
    }

    @Test
    void everyCorpusFileHasAnExpectedUrlCountAndEveryCountAFile() {
        assertEquals(new TreeSet<>(UPSTREAM_URLS.keySet()), new TreeSet<>(corpus()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void everyCorpusFileIsARepositoryIndexWhoseVersionsAreStringsToAYaml11Reader(String file) throws IOException {
        Map<?, ?> index = assertInstanceOf(Map.class, parse(file, upstreamIndex(file)));
        assertEquals("v1", index.get("apiVersion"));
        assertNotNull(index.get("generated"), "generated");
        Map<?, ?> entries = assertInstanceOf(Map.class, index.get("entries"));
        assertFalse(entries.isEmpty(), "no entries");
        for (Map.Entry<?, ?> chart : entries.entrySet()) {
            for (Object item : assertInstanceOf(List.class, chart.getValue())) {
                Map<?, ?> version = assertInstanceOf(Map.class, item);
                String where = file + ": " + chart.getKey() + " " + version.get("version");
                assertEquals(chart.getKey(), version.get("name"), where);
                assertInstanceOf(String.class, version.get("version"), where);
                if (version.containsKey("appVersion")) {
                    assertInstanceOf(String.class, version.get("appVersion"), where);
                }
                assertTrue(String.valueOf(version.get("digest")).matches("[0-9a-f]{64}"), where);
                List<?> urls = assertInstanceOf(List.class, version.get("urls"), where);
                assertFalse(urls.isEmpty(), where);
                urls.forEach(url -> assertInstanceOf(String.class, url, where));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void pointingTheGatewayUrlsBackAtTheUpstreamGivesTheUpstreamBytes(String file) throws IOException {
        byte[] upstream = upstreamIndex(file);
        byte[] served = REWRITER.rewrite(upstream).index();
        byte[] back = new String(served, StandardCharsets.ISO_8859_1).replace(GATEWAY + "/", UPSTREAM + "/")
                .getBytes(StandardCharsets.ISO_8859_1);
        IndexCorpus.assertSameBytes(upstream, back);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void aYaml11ReaderSeesTheUpstreamIndexWithOnlyItsChartUrlsMoved(String file) throws IOException {
        byte[] upstream = upstreamIndex(file);
        Object expected = parse(file, upstream);
        pointUpstreamChartUrlsAtTheGateway(expected);
        String difference = difference("", expected, parse(file, REWRITER.rewrite(upstream).index()));
        if (difference != null) {
            fail(difference);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void theRewriterCountsEveryChartUrlUnderTheUpstreamAndNothingElse(String file) throws IOException {
        IndexRewriter.Result result = REWRITER.rewrite(upstreamIndex(file));
        assertEquals(UPSTREAM_URLS.get(file), result.rewritten());
        String served = new String(result.index(), StandardCharsets.UTF_8);
        assertEquals(UPSTREAM_URLS.get(file), served.split(Pattern.quote(GATEWAY + "/"), -1).length - 1, served);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("indexesWithNothingToRewrite")
    void anIndexWhoseUrlsAreAllRelativeOrElsewhereComesOutByteForByte(String file) throws IOException {
        byte[] upstream = upstreamIndex(file);
        IndexRewriter.Result result = REWRITER.rewrite(upstream);
        assertEquals(0, result.rewritten());
        IndexCorpus.assertSameBytes(upstream, result.index());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void everyShapeComesOutByteForByteWhenNoUrlIsUnderTheUpstream(String file) throws IOException {
        byte[] upstream = upstreamIndex(file);
        IndexRewriter elsewhere = new IndexRewriter(List.of("http://other.example/charts"), "https://gw.example.com", "/museum");
        IndexRewriter.Result result = elsewhere.rewrite(upstream);
        assertEquals(0, result.rewritten());
        IndexCorpus.assertSameBytes(upstream, result.index());
    }

    /** JSON through a JSON parser; YAML through SnakeYAML, a YAML 1.1 reader like helm's, strict about duplicate keys. */
    private static Object parse(String file, byte[] index) throws IOException {
        if (file.endsWith(".json")) {
            return new ObjectMapper().readValue(index, Object.class);
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        // an InputStream, not a String: SnakeYAML then reads the byte-order mark as one, as helm does
        return new Yaml(new SafeConstructor(options)).load(new ByteArrayInputStream(index));
    }

    /** The first place two parsed trees differ, as {@code .entries.numeric[0].appVersion: expected … but was …}, or null. */
    private static String difference(String path, Object expected, Object actual) {
        if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
            for (Object key : e.keySet()) {
                String at = path + "." + key;
                String d = a.containsKey(key) ? difference(at, e.get(key), a.get(key)) : at + ": missing";
                if (d != null) {
                    return d;
                }
            }
            for (Object key : a.keySet()) {
                if (!e.containsKey(key)) {
                    return path + "." + key + ": not in the upstream's index";
                }
            }
            return null;
        }
        if (expected instanceof List<?> e && actual instanceof List<?> a) {
            for (int i = 0; i < Math.min(e.size(), a.size()); i++) {
                String d = difference(path + "[" + i + "]", e.get(i), a.get(i));
                if (d != null) {
                    return d;
                }
            }
            return e.size() == a.size() ? null : path + ": " + e.size() + " items expected, " + a.size() + " found";
        }
        return Objects.equals(expected, actual) ? null
                : (path.isEmpty() ? "the index" : path) + ": expected " + describe(expected) + " but was " + describe(actual);
    }

    private static String describe(Object value) {
        return value == null ? "null"
                : (value instanceof String ? "\"" + value + "\"" : value) + " (" + value.getClass().getSimpleName() + ")";
    }

    /** What the gateway should do to the parsed index: {@code entries.*[*].urls} under the upstream move to it. */
    private static void pointUpstreamChartUrlsAtTheGateway(Object index) {
        Map<?, ?> entries = (Map<?, ?>) ((Map<?, ?>) index).get("entries");
        for (Object versions : entries.values()) {
            for (Object version : (List<?>) versions) {
                @SuppressWarnings("unchecked")
                List<Object> urls = (List<Object>) ((Map<?, ?>) version).get("urls");
                // an aliased list is the same object twice; a moved URL no longer starts with UPSTREAM, so twice is once
                urls.replaceAll(url -> url instanceof String s && s.startsWith(UPSTREAM + "/")
                        ? GATEWAY + s.substring(UPSTREAM.length()) : url);
            }
        }
    }
}
