package io.chartgate.upstream.http;

import io.chartgate.helm.IndexCache;
import java.net.URI;
import java.util.List;

/**
 * How one http route rewrites its index files: the URL bases the upstream's own chart URLs start with, where the
 * route is reached (the public URL, or null to derive it from the request's Host), the size bound, and the
 * cache shared by all routes.
 */
public record IndexSettings(boolean enabled, List<String> bases, String routeName, String routePrefix, URI publicUrl,
        long maxIndexBytes, IndexCache cache) {

    public IndexSettings {
        bases = List.copyOf(bases);
    }

    /** The same settings with more URL bases. */
    IndexSettings plusBases(List<String> more) {
        List<String> all = new java.util.ArrayList<>(bases);
        all.addAll(more);
        return new IndexSettings(enabled, all, routeName, routePrefix, publicUrl, maxIndexBytes, cache);
    }

    /** Whether a path below the route prefix names an index file. */
    boolean isIndex(String path) {
        return enabled && (path.equals("/index.yaml") || path.endsWith("/index.yaml"));
    }
}
