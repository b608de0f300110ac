package io.chartgate.config;

import java.util.List;

/**
 * How a route's index files are served: whether chart URLs under the upstream's own bases (and
 * {@code urlPrefixes}) are pointed at the gateway, and whether each caller sees only the versions it may read.
 */
public record IndexOptions(boolean rewriteUrls, List<String> urlPrefixes, boolean filter) {

    public static final IndexOptions DEFAULTS = new IndexOptions(true, List.of(), false);

    public IndexOptions {
        urlPrefixes = List.copyOf(urlPrefixes);
    }
}
