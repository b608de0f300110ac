package io.chartgate.config;

import java.net.URI;
import java.nio.file.Path;

/**
 * An HTTP(S) upstream such as ChartMuseum or a static server. {@code auth} and {@code caFile} may be null.
 * {@code url} has no query or fragment; its path replaces the route prefix.
 */
public record HttpUpstreamConfig(
        URI url,
        UpstreamAuth auth,
        Path caFile,
        int connectTimeoutMs,
        int responseTimeoutMs,
        IndexOptions index,
        Path provenanceKeyring) implements UpstreamConfig {

    public boolean rewriteIndexUrls() {
        return index.rewriteUrls();
    }

    @Override
    public String type() {
        return "http";
    }

    @Override
    public <T> T match(Kinds<T> kinds) {
        return kinds.http(this);
    }
}
