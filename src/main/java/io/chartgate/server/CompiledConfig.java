package io.chartgate.server;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.policy.Policy;
import io.chartgate.tls.PemLoader;
import io.chartgate.tls.TlsException;
import io.chartgate.tls.TlsMaterial;
import io.chartgate.upstream.Router;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A configuration with everything it names loaded and compiled: the policy, the TLS material, the router.
 * Built whole or not at all, so start-up, reload and {@code config check} share one validator and a bad
 * file never half-applies.
 */
public record CompiledConfig(GatewayConfig config, Policy policy, TlsMaterial tls, Router router) {

    /** Compiles {@code config}, collecting the problems of every stage before failing. */
    public static CompiledConfig compile(GatewayConfig config, Instant now) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        Policy policy = null;
        TlsMaterial tls = null;
        try {
            policy = Policy.compile(config.policy());
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        try {
            tls = TlsMaterial.load(config.server().tls(), now);
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig route = config.routes().get(i);
            String path = "routes[" + i + "].upstream.";
            if (route.upstream() instanceof FileUpstreamConfig file && !Files.isDirectory(file.dir())) {
                errors.add(new ConfigError(path + "dir", file.dir() + ": not a directory"));
            } else if (route.upstream() instanceof HttpUpstreamConfig http && http.caFile() != null) {
                try {
                    PemLoader.certificates(http.caFile());
                } catch (TlsException e) {
                    errors.add(new ConfigError(path + "caFile", e.getMessage()));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new CompiledConfig(config, policy, tls, new Router(config.routes()));
    }
}
