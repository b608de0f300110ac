package io.chartgate.decision;

import io.chartgate.policy.Policy;
import io.chartgate.tls.ClientTrust;
import io.chartgate.upstream.Router;

/**
 * What a request is decided against: the routes, the compiled policy and the client trust of one configuration.
 *
 * @param anonymousAllowed whether a client without a certificate may reach HTTP at all ({@code clientAuth: optional})
 * @param maxBodyBytes the largest request body the gateway forwards
 */
public record Ground(Router router, Policy policy, ClientTrust trust, boolean anonymousAllowed, long maxBodyBytes) {
}
