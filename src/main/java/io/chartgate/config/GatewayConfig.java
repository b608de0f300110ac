package io.chartgate.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The whole configuration, validated: the root of the immutable records {@link ConfigLoader} produces. */
public record GatewayConfig(
        Path source,
        ServerConfig server,
        AdminConfig admin,
        List<RouteConfig> routes,
        PolicyConfig policy,
        MetricsConfig metrics,
        ReloadConfig reload) {

    public GatewayConfig {
        routes = List.copyOf(routes);
    }

    /** The configuration file and every file it names: what reload watches. */
    public List<Path> files() {
        List<Path> files = new ArrayList<>();
        if (source != null) {
            files.add(source);
        }
        files.addAll(server.tls().files());
        for (RouteConfig r : routes) {
            if (r.upstream() instanceof HttpUpstreamConfig h && h.caFile() != null) {
                files.add(h.caFile());
            }
        }
        return files;
    }
}
