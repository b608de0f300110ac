package io.chartgate.proxy;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.GatewayConfig;
import io.chartgate.policy.Policy;
import io.chartgate.upstream.Router;
import io.chartgate.upstream.Upstream;
import java.util.Map;

/**
 * What the request handler decides with: the configuration, its compiled policy and router, and one upstream
 * adapter per route name. Immutable and built whole, so it can only ever be swapped, never half-changed.
 */
public record GatewayState(GatewayConfig config, Policy policy, Router router, Map<String, Upstream> upstreams) {

    public GatewayState {
        upstreams = Map.copyOf(upstreams);
    }

    /** Clients without a certificate reach HTTP only with {@code clientAuth: optional}. */
    boolean anonymousAllowed() {
        return config.server().tls().clientAuth() == ClientAuth.OPTIONAL;
    }
}
