package io.chartgate.config;

import java.nio.file.Path;

/**
 * A read-only directory served by the gateway itself; {@code dir} is absolute. Its index files have no upstream
 * base of their own: only URLs under {@code index.urlPrefixes} are pointed at the gateway.
 */
public record FileUpstreamConfig(Path dir, IndexOptions index) implements UpstreamConfig {

    @Override
    public String type() {
        return "file";
    }

    @Override
    public <T> T match(Kinds<T> kinds) {
        return kinds.file(this);
    }
}
