package io.chartgate.config;

import java.nio.file.Path;
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
}
