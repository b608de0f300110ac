package io.chartgate.decision;

import io.chartgate.config.RouteConfig;
import io.chartgate.policy.Access;
import io.chartgate.policy.CanonicalPath;
import io.chartgate.policy.Decision;
import io.chartgate.policy.OciRequest;

/**
 * What the decision learned about a request before it allowed or refused it, step by step; each part is null
 * when the request did not get that far. The access log, the metrics and {@code policy explain} read it.
 *
 * @param path the canonical path
 * @param route the route the path fell on
 * @param oci whether errors are said as an OCI registry says them (the route, or the raw path's route, is an oci one)
 * @param registryRequest the request read with the OCI distribution grammar, on an oci route
 * @param access read or write
 * @param decision the policy's answer
 * @param mount a cross-repository mount asked for on an OCI upload, or null
 * @param mountKept whether that mount goes to the registry (the caller may pull from its sources)
 */
public record Trail(CanonicalPath path, RouteConfig route, boolean oci, OciRequest registryRequest, Access access,
        Decision decision, OciRequest.Mount mount, boolean mountKept) {

    static final Trail EMPTY = new Trail(null, null, false, null, null, null, null, false);

    /** {@code allowed} or {@code denied} once the policy ran; {@code rejected} when the request was refused before it. */
    public String outcome() {
        return decision == null ? "rejected" : decision.allowed() ? "allowed" : "denied";
    }

    Trail withPath(CanonicalPath p) {
        return new Trail(p, route, oci, registryRequest, access, decision, mount, mountKept);
    }

    Trail withRoute(RouteConfig r, boolean isOci) {
        return new Trail(path, r, isOci, registryRequest, access, decision, mount, mountKept);
    }

    Trail withRegistryRequest(OciRequest request) {
        return new Trail(path, route, oci, request, access, decision, mount, mountKept);
    }

    Trail withAccess(Access a) {
        return new Trail(path, route, oci, registryRequest, a, decision, mount, mountKept);
    }

    Trail withDecision(Decision d) {
        return new Trail(path, route, oci, registryRequest, access, d, mount, mountKept);
    }

    Trail withMount(OciRequest.Mount m, boolean kept) {
        return new Trail(path, route, oci, registryRequest, access, decision, m, kept);
    }
}
