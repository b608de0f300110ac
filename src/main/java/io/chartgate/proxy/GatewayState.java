package io.chartgate.proxy;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.GatewayConfig;
import io.chartgate.policy.Policy;
import io.chartgate.server.CompiledConfig;
import io.chartgate.upstream.Router;
import io.chartgate.upstream.Upstream;
import java.util.Map;

/**
 * What the request handler decides with: the compiled configuration and one upstream adapter per route.
 * Immutable; a reload swaps in a new one whole.
 */
public record GatewayState(CompiledConfig compiled, Map<String, Upstream> upstreams) {

    public GatewayState {
        upstreams = Map.copyOf(upstreams);
    }

    GatewayConfig config() {
        return compiled.config();
    }

    Policy policy() {
        return compiled.policy();
    }

    Router router() {
        return compiled.router();
    }

    boolean anonymousAllowed() {
        return config().server().tls().clientAuth() == ClientAuth.OPTIONAL;
    }
}
