package io.chartgate.proxy;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.GatewayConfig;
import io.chartgate.decision.Ground;
import io.chartgate.policy.Policy;
import io.chartgate.tls.ClientTrust;
import io.chartgate.upstream.Router;
import io.chartgate.upstream.Upstream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * What the request handler decides with: the configuration, its compiled policy and router, one upstream
 * adapter per route name, and the client trust in force (anchors, intermediates, CRLs), which every request of an
 * open connection is checked against again, and the index step with its cache (which lives and dies with this state, so a reload
 * never serves an index made under other routes or rules). Immutable and built whole: a reload swaps in a new one, never half-changes one.
 * {@code inFlight} counts the requests running under it, so a state a reload replaced releases its upstream
 * clients only once the last of them ended.
 */
public record GatewayState(GatewayConfig config, Policy policy, Router router, Map<String, Upstream> upstreams,
        ClientTrust trust, IndexStep index, Map<String, PGPPublicKeyRingCollection> keyrings, AtomicInteger inFlight) {

    public GatewayState {
        upstreams = Map.copyOf(upstreams);
        keyrings = Map.copyOf(keyrings);
    }

    /** What the requests under this state are decided against. */
    public Ground ground() {
        return new Ground(router, policy, trust, anonymousAllowed(), config.server().limits().maxBodyBytes());
    }

    /** Clients without a certificate reach HTTP only with {@code clientAuth: optional}. */
    boolean anonymousAllowed() {
        return config.server().tls().clientAuth() == ClientAuth.OPTIONAL;
    }
}
