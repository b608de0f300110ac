package io.chartgate.config;

import java.nio.file.Path;

/** A read-only directory served by the gateway itself; {@code dir} is absolute. */
public record FileUpstreamConfig(Path dir) implements UpstreamConfig {

    @Override
    public String type() {
        return "file";
    }
}
