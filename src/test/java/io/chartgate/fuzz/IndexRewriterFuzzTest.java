package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.helm.IndexDocument;
import io.chartgate.helm.IndexRewriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * An upstream's index.yaml (or JSON) through the rewriter. Input the rewriter refuses is refused with an
 * {@link IOException} only. Input it takes, that a YAML 1.1 reader (SnakeYAML, like helm's) or for JSON Jackson
 * also reads, comes out as a document that reader reads to the same data, but for each chart URL under
 * {@code entries.*[*].urls}, which may now point at the gateway ({@link IndexRewriter#rewriteUrl}); an alias of
 * such a URL follows it, wherever the alias is (the rewriter changes an anchored URL where it is written). Which
 * URLs must move is IndexCorpusTest's business; here every other byte of data must stay. The index filter's
 * view, every other version cut, parses too.
 */
class IndexRewriterFuzzTest {

    static final String UPSTREAM = "http://upstream.example:8080/repo";
    static final IndexRewriter REWRITER = new IndexRewriter(List.of(UPSTREAM, "s3://bucket/charts/"), "https://gw.example.com", "/museum");

    @FuzzTest(maxDuration = "10m")
    void rewrite(byte[] input) throws IOException {
        IndexRewriter.Result result;
        try {
            result = REWRITER.rewrite(input);
        } catch (IOException refused) {
            return;
        }
        boolean json = firstNonBlank(input) == '{';
        Object before;
        try {
            before = read(input, json);
        } catch (Exception notAnIndexToThisReader) {
            return; // accepted by the rewriter but not readable as one document: nothing to compare
        }
        Object after;
        try {
            after = read(result.index(), json);
        } catch (Exception e) {
            fail("the rewritten index does not parse (" + e + "):\n" + text(result.index()), e);
            return;
        }
        Set<Object> chartUrls = chartUrls(before);
        String difference = new Comparison(chartUrls).difference("", before, after);
        if (difference != null) {
            fail(difference + "\ninput:\n" + text(input) + "\noutput:\n" + text(result.index()));
        }
        if (result.rewritten() == 0) {
            assertSame(input, result.index(), "an index with nothing rewritten is served as it is");
        }
        // the same document rendered with every version kept and no URL changed is the upstream's bytes
        assertSame(input, IndexDocument.parse(input).render(UnaryOperator.identity(), v -> true).body());
        cutEveryOtherVersion(input, json);
    }

    /**
     * The index filter's view (versions removed, charts with none left removed whole) still parses, to an index
     * with as many versions as were kept when the reader sees the same versions the rewriter found.
     */
    private static void cutEveryOtherVersion(byte[] input, boolean json) throws IOException {
        IndexDocument document = IndexDocument.parse(input);
        int[] seen = {0};
        IndexDocument.View view;
        try {
            view = document.render(UnaryOperator.identity(), v -> seen[0]++ % 2 == 1);
        } catch (IllegalStateException refused) {
            // declared: a kept alias of a cut anchor that holds itself, or expands past the document, is not written out
            return;
        }
        Object after;
        try {
            after = read(view.body(), json);
        } catch (Exception e) {
            fail("the index with versions cut does not parse (" + e + "):\ninput:\n" + text(input) + "\noutput:\n" + text(view.body()), e);
            return;
        }
        int total = document.versions().size();
        if (versionCount(read(input, json)) == total) {
            assertEquals(total - view.removed(), versionCount(after), () -> "versions left:\n" + text(view.body()));
            assertEquals((total + 1) / 2, view.removed(), "every other version is removed");
        }
    }

    private static int versionCount(Object index) {
        if (!(index instanceof Map<?, ?> root) || !(root.get("entries") instanceof Map<?, ?> entries)) {
            return -1;
        }
        int n = 0;
        for (Object versions : entries.values()) {
            if (!(versions instanceof List<?> list)) {
                return -1;
            }
            for (Object version : list) {
                if (!(version instanceof Map)) {
                    return -1;
                }
                n++;
            }
        }
        return n;
    }

    static Object read(byte[] index, boolean json) throws IOException {
        if (json) {
            return new ObjectMapper().readValue(index, Object.class);
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options)).load(new ByteArrayInputStream(index));
    }

    /** The URL strings under entries.*[*].urls (by identity: an alias of one is the same string object). */
    static Set<Object> chartUrls(Object index) {
        Set<Object> urls = Collections.newSetFromMap(new IdentityHashMap<>());
        if (!(index instanceof Map<?, ?> root) || !(root.get("entries") instanceof Map<?, ?> entries)) {
            return urls;
        }
        for (Object versions : entries.values()) {
            if (versions instanceof List<?> list) {
                for (Object version : list) {
                    if (version instanceof Map<?, ?> v && v.get("urls") instanceof List<?> list2) {
                        list2.forEach(url -> {
                            if (url instanceof String) {
                                urls.add(url);
                            }
                        });
                    }
                }
            }
        }
        return urls;
    }

    /** Structural equality that terminates on shared and recursive nodes (anchors), naming the first difference. */
    static final class Comparison {
        private final Set<Object> chartUrls;
        private final Map<Object, Set<Object>> compared = new IdentityHashMap<>();

        Comparison(Set<Object> chartUrls) {
            this.chartUrls = chartUrls;
        }

        String difference(String path, Object expected, Object actual) {
            if (expected instanceof String e && chartUrls.contains(e) && actual instanceof String a
                    && a.equals(REWRITER.rewriteUrl(e))) {
                return null; // a chart URL pointed at the gateway (or an alias of one, which follows its anchor)
            }
            if ((expected instanceof Map || expected instanceof List) && !compared
                    .computeIfAbsent(expected, k -> Collections.newSetFromMap(new IdentityHashMap<>())).add(actual)) {
                return null; // compared already, or being compared further up (a recursive node)
            }
            if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
                if (e.size() != a.size()) {
                    return path + ": " + e.size() + " keys expected, " + a.size() + " found " + a.keySet();
                }
                for (Map.Entry<?, ?> entry : e.entrySet()) {
                    Object key = entry.getKey();
                    if (!a.containsKey(key)) {
                        return findKey(path, key, entry.getValue(), a);
                    }
                    String d = difference(path + "." + key, entry.getValue(), a.get(key));
                    if (d != null) {
                        return d;
                    }
                }
                return null;
            }
            if (expected instanceof List<?> e && actual instanceof List<?> a) {
                if (e.size() != a.size()) {
                    return path + ": " + e.size() + " items expected, " + a.size() + " found";
                }
                for (int i = 0; i < e.size(); i++) {
                    String d = difference(path + "[" + i + "]", e.get(i), a.get(i));
                    if (d != null) {
                        return d;
                    }
                }
                return null;
            }
            if (expected instanceof Set<?> e && actual instanceof Set<?> a) {
                return e.equals(a) ? null : path + ": set " + e + " but was " + a;
            }
            if (expected instanceof byte[] e && actual instanceof byte[] a) {
                return Arrays.equals(e, a) ? null : path + ": other binary";
            }
            if (expected instanceof Double e && actual instanceof Double a && e.isNaN() && a.isNaN()) {
                return null;
            }
            return java.util.Objects.equals(expected, actual) ? null
                    : (path.isEmpty() ? "the index" : path) + ": expected " + describe(expected) + " but was " + describe(actual);
        }

        /** A key not found by equality (a byte[] or a recursive key): look for one that compares equal. */
        private String findKey(String path, Object key, Object value, Map<?, ?> actual) {
            for (Map.Entry<?, ?> candidate : actual.entrySet()) {
                Comparison probe = new Comparison(chartUrls);
                if (probe.difference("", key, candidate.getKey()) == null && probe.difference("", value, candidate.getValue()) == null) {
                    return null;
                }
            }
            return path + "." + key + ": missing";
        }
    }

    static String describe(Object value) {
        return value == null ? "null"
                : (value instanceof String ? "\"" + value + "\"" : value) + " (" + value.getClass().getSimpleName() + ")";
    }

    static int firstNonBlank(byte[] bytes) {
        int i = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        for (; i < bytes.length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\n' && bytes[i] != '\r' && bytes[i] != '\t') {
                return bytes[i];
            }
        }
        return -1;
    }

    static String text(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.length() > 4000 ? s.substring(0, 4000) + "…" : s;
    }
}
