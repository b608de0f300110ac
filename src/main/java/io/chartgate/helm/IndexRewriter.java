package io.chartgate.helm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Points a repository index's chart URLs at the gateway. Every {@code urls} entry that starts with one of the
 * upstream's bases becomes {@code publicBase + routePrefix + rest}; relative URLs and URLs elsewhere are left
 * alone. The index is streamed token by token (YAML in, YAML out; JSON in, JSON out), so a 100 MB index never
 * becomes a tree in memory. Scheme and host compare without case; paths compare exactly.
 */
public final class IndexRewriter {

    private static final JsonFactory JSON = new JsonFactory();
    private static final YAMLFactory YAML = YAMLFactory.builder()
            // SnakeYAML stops at 3 MB by default; a 10,000-chart index is 7.5 MB, and the caller bounds the size
            .loaderOptions(unlimited())
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .build();

    private final List<String> bases;
    private final String target;

    /**
     * @param bases absolute URL prefixes the upstream's own chart URLs start with ({@code http://cm:8080/},
     *     {@code s3://bucket/}); a missing trailing '/' is added
     * @param publicBase where clients reach the gateway ({@code https://charts.example.com}), no trailing '/'
     * @param routePrefix the route's prefix ({@code /} or {@code /museum})
     */
    public IndexRewriter(List<String> bases, String publicBase, String routePrefix) {
        List<String> normalized = new ArrayList<>();
        for (String base : bases) {
            normalized.add(base.endsWith("/") ? base : base + "/");
        }
        normalized.sort(Comparator.comparingInt(String::length).reversed());
        this.bases = List.copyOf(normalized);
        String prefix = routePrefix.equals("/") ? "" : routePrefix;
        this.target = publicBase + prefix + "/";
    }

    /** What a rewrite produced: the new index and how many URLs changed. */
    public record Result(byte[] index, int rewritten) {
    }

    /** Rewrites an index file (YAML or JSON, detected from its first character). */
    public Result rewrite(byte[] index) throws IOException {
        boolean json = firstNonBlank(index) == '{';
        ByteArrayOutputStream out = new ByteArrayOutputStream(index.length + index.length / 8);
        int rewritten = 0;
        try (JsonParser parser = (json ? JSON : YAML).createParser(index);
             JsonGenerator generator = (json ? JSON : YAML).createGenerator(out)) {
            if (json) {
                generator.useDefaultPrettyPrinter();
            }
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.VALUE_STRING && inUrls(parser.getParsingContext())) {
                    String url = parser.getText();
                    String changed = rewriteUrl(url);
                    if (!changed.equals(url)) {
                        rewritten++;
                    }
                    generator.writeString(changed);
                } else {
                    generator.copyCurrentEvent(parser);
                }
            }
        }
        return new Result(out.toByteArray(), rewritten);
    }

    /** The URL pointed at the gateway when it starts with a base, else unchanged. */
    public String rewriteUrl(String url) {
        for (String base : bases) {
            if (startsWithBase(url, base)) {
                return target + url.substring(base.length());
            }
        }
        return url;
    }

    /** Inside {@code entries.<chart>[i].urls[j]}: a string in an array held by a field named urls. */
    private static boolean inUrls(JsonStreamContext context) {
        if (!context.inArray()) {
            return false;
        }
        JsonStreamContext parent = context.getParent();
        return parent != null && "urls".equals(parent.getCurrentName());
    }

    private static boolean startsWithBase(String url, String base) {
        if (url.length() < base.length()) {
            return false;
        }
        int pathStart = base.indexOf('/', base.indexOf("://") + 3);
        String authority = base.substring(0, pathStart);
        return url.substring(0, authority.length()).toLowerCase(Locale.ROOT).equals(authority.toLowerCase(Locale.ROOT))
                && url.startsWith(base.substring(pathStart), authority.length());
    }

    private static LoaderOptions unlimited() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(Integer.MAX_VALUE);
        return options;
    }

    private static int firstNonBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return b;
            }
        }
        return -1;
    }
}
