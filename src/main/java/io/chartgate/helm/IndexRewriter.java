package io.chartgate.helm;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Points a repository index's chart URLs at the gateway. Every {@code urls} entry that starts with one of the
 * upstream's bases becomes {@code publicBase + routePrefix + rest}; relative URLs and URLs elsewhere are left
 * alone. Every other byte of the index is the upstream's ({@link IndexDocument}), so an {@code appVersion: "1.0"}
 * stays a string and an index with nothing to rewrite comes back byte for byte. Scheme and host compare without
 * case; paths compare exactly.
 */
public final class IndexRewriter {

    private final List<String> bases;
    private final String publicBase;
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
        this.publicBase = publicBase;
        this.target = publicBase + prefix + "/";
    }

    /** What a rewrite produced: the new index and how many URLs changed. */
    public record Result(byte[] index, int rewritten) {
    }

    /** Rewrites an index file (YAML or JSON, detected from its first character). */
    public Result rewrite(byte[] index) throws IOException {
        IndexDocument.View view = IndexDocument.parse(index).render(this::rewriteUrl, version -> true);
        return new Result(view.body(), view.rewritten());
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

    /**
     * The gateway path (still percent-encoded, without query or fragment) that a chart URL is fetched at, as helm
     * resolves it: a URL this rewriter points at the gateway, one that already points there, or a relative one
     * (against the directory of {@code indexPath}, the index's own gateway path, percent-encoded). Null for a URL
     * that leads anywhere else, which the gateway cannot judge. Characters a URL should not hold raw (a space,
     * say) are percent-encoded first, as helm's URL parser does before it fetches.
     */
    public String gatewayPath(String url, String indexPath) {
        String absolute = rewriteUrl(url);
        String path;
        if (absolute.startsWith(target)) {
            path = escapeLoose(absolute.substring(publicBase.length()));
        } else if (url.startsWith("//") || url.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
            return null;
        } else {
            try {
                path = URI.create(indexPath.substring(0, indexPath.lastIndexOf('/') + 1)).resolve(escapeLoose(url)).getRawPath();
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (path == null) {
                return null;
            }
        }
        int end = path.length();
        for (char c : new char[] {'?', '#'}) {
            int at = path.indexOf(c);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        return path.substring(0, end);
    }

    /** Percent-encodes what RFC 3986 does not allow raw in a path or query, keeping every valid {@code %XX}. */
    static String escapeLoose(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int c = bytes[i] & 0xff;
            boolean escape = c == '%' ? i + 2 >= bytes.length || Character.digit(bytes[i + 1], 16) < 0
                    || Character.digit(bytes[i + 2], 16) < 0
                    : c >= 0x80 || c <= ' ' || c == 0x7f || "\"<>\\^`{|}[]".indexOf(c) >= 0;
            if (escape) {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
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
}
