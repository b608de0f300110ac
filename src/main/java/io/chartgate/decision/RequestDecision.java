package io.chartgate.decision;

import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.OciUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.policy.Access;
import io.chartgate.policy.CanonicalPath;
import io.chartgate.policy.Decision;
import io.chartgate.policy.OciRequest;
import io.chartgate.tls.ClientTrust;
import io.chartgate.upstream.Router;
import java.util.List;
import java.util.Optional;

/**
 * The gateway's way for one request, as one pure function: framing, canonical path, the trust in force, route,
 * the OCI grammar, access, policy and body size, in that order; the first step that refuses ends it. The relay
 * ({@code proxy.ProxyHandler}) carries bytes by its answer and {@code policy explain} prints it, so the two can
 * never tell different stories.
 */
public final class RequestDecision {

    /** The rule name the filtered {@code _catalog} carries: every caller gets the repositories it may pull. */
    public static final String OCI_CATALOG_RULE = "(repositories the caller may pull)";

    /** The rule name an allowed {@code GET /v2/} carries: no rule grants it, being authenticated does. */
    public static final String OCI_PING_RULE = "(any authenticated caller)";

    /** The rule name an allowed index of an oci route carries: it lists only what the caller may pull. */
    public static final String OCI_INDEX_RULE = "(any authenticated caller; filtered per repository)";

    /** The methods a 405 for a method that is neither a read nor a write names. */
    static final String ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";

    private RequestDecision() {
    }

    public static Verdict decide(Ask ask, Ground ground) {
        Trail trail = Trail.EMPTY;
        Framing framing = ask.framing();
        List<String> transferEncoding = framing.transferEncodings();
        if (!transferEncoding.isEmpty()
                && (transferEncoding.size() > 1 || !transferEncoding.get(0).trim().equalsIgnoreCase("chunked"))) {
            return refuse(trail, GatewayError.BAD_REQUEST, "unsupported Transfer-Encoding (only chunked is accepted)");
        }
        for (String encoding : framing.contentEncodings()) {
            if (framing.hasBody() && !encoding.trim().equalsIgnoreCase("identity")) {
                // a store keeps the encoding and serves it back: how a decompression bomb gets planted
                return refuse(trail, GatewayError.BAD_REQUEST, "request bodies with Content-Encoding " + encoding.trim()
                        + " are refused (send the file as it is)");
            }
        }
        String target = ask.target();
        CanonicalPath.Result parsed = CanonicalPath.parse(target);
        if (parsed instanceof CanonicalPath.Rejected rejected) {
            // only the error's format hangs on the route the raw path would reach, nothing the policy sees
            String raw = target.startsWith("/") ? target.split("\\?", 2)[0] : "";
            boolean oci = ground.router().route(raw).map(r -> r.upstream() instanceof OciUpstreamConfig).orElse(false);
            return refuse(trail.withRoute(null, oci), GatewayError.BAD_REQUEST, rejected.reason());
        }
        CanonicalPath path = ((CanonicalPath.Canonical) parsed).path();
        trail = trail.withPath(path);
        if (ask.verification() != null) {
            // verified when the connection opened; the trust in force now (a reload, a new CRL, or time: a keep-alive
            // connection outlives the certificates it was opened with) may say otherwise
            ClientTrust.Refusal refusal = ask.verification().refusal();
            if (refusal == null) {
                refusal = ground.trust().recheck(ask.verification().chain(), ask.now());
            }
            if (refusal != null) {
                return refuse(trail, switch (refusal.reason()) {
                    case EXPIRED -> GatewayError.CERTIFICATE_EXPIRED;
                    case REVOKED -> GatewayError.CERTIFICATE_REVOKED;
                    case UNTRUSTED -> GatewayError.FORBIDDEN;
                }, refusal.message());
            }
        }
        Optional<RouteConfig> routed = ground.router().route(path.path());
        if (routed.isEmpty()) {
            return refuse(trail, GatewayError.NO_ROUTE, "no route for " + path);
        }
        RouteConfig route = routed.get();
        boolean isOci = route.upstream() instanceof OciUpstreamConfig;
        trail = trail.withRoute(route, isOci);
        String method = ask.method();
        OciRequest registry = null;
        if (isOci) {
            String problem = OciRequest.rawPathProblem(target);
            if (problem != null) {
                return new Verdict.Refused(trail, GatewayError.BAD_REQUEST, "NAME_INVALID", problem, null);
            }
            OciRequest.Result read = OciRequest.parse(method, path);
            if (read instanceof OciRequest.Refused refused) {
                return new Verdict.Refused(trail, refused.status() == 405 ? GatewayError.METHOD_NOT_ALLOWED
                        : GatewayError.BAD_REQUEST, refused.code(), refused.message(), null);
            }
            registry = ((OciRequest.Parsed) read).request();
            trail = trail.withRegistryRequest(registry);
        }
        Access access = registry != null ? (registry.access() == null ? Access.READ : registry.access()) : Access.ofMethod(method);
        if (access == null) {
            return new Verdict.Refused(trail, GatewayError.METHOD_NOT_ALLOWED, null,
                    method + " is neither a read nor a write", ALL_METHODS);
        }
        trail = trail.withAccess(access);
        var identity = ask.identity();
        if (identity.isAnonymous() && !ground.anonymousAllowed()) {
            // unreachable while the handshake demands a certificate; fail closed if it ever is not
            return refuse(trail, GatewayError.CERTIFICATE_REQUIRED, "a client certificate is required");
        }
        String query = path.rawQuery();
        Verdict.Service service = Verdict.Service.UPSTREAM;
        Decision decision;
        if (registry != null && registry.endpoint() == OciRequest.Endpoint.PING) {
            // "is this a registry": helm registry login asks it; every caller the handshake let in may know
            decision = authenticated(identity.isAnonymous(), OCI_PING_RULE, identity.principal(), path);
        } else if (registry != null && registry.endpoint() == OciRequest.Endpoint.INDEX) {
            // the index made from the registry holds only what the caller may pull: any authenticated caller may ask
            decision = authenticated(identity.isAnonymous(), OCI_INDEX_RULE, identity.principal(), path);
            service = Verdict.Service.INDEX;
        } else if (registry != null && registry.endpoint() == OciRequest.Endpoint.CATALOG) {
            // the gateway's own catalog: the registry's, cut to the repositories the caller may pull, paged here
            decision = authenticated(identity.isAnonymous(), OCI_CATALOG_RULE, identity.principal(), path);
            service = Verdict.Service.CATALOG;
        } else if (registry != null) {
            decision = ground.policy().decide(identity, registry);
            OciRequest.Mount mount = registry.endpoint() == OciRequest.Endpoint.UPLOAD && method.equals("POST")
                    ? OciRequest.mount(query) : null;
            if (decision.allowed() && mount != null) {
                // a mount copies a blob from its source: the caller must be able to pull it from there, or the
                // upload starts empty like any other (the registry opens a session without mount and from)
                boolean readable = !mount.sources().isEmpty()
                        && mount.sources().stream().allMatch(source -> ground.policy().mayPull(identity, source));
                trail = trail.withMount(mount, readable);
                if (!readable) {
                    query = mount.withoutMount();
                }
            }
        } else {
            decision = ground.policy().decide(identity, access, path);
        }
        trail = trail.withDecision(decision);
        if (!decision.allowed()) {
            return identity.isAnonymous()
                    ? refuse(trail, GatewayError.CERTIFICATE_REQUIRED, "a client certificate is required to "
                            + access.label() + " " + path)
                    : refuse(trail, GatewayError.FORBIDDEN, decision.reason());
        }
        if (access == Access.WRITE && route.upstream() instanceof FileUpstreamConfig) {
            return new Verdict.Refused(trail, GatewayError.METHOD_NOT_ALLOWED, null,
                    "route " + route.name() + " is a read-only file upstream", "GET, HEAD");
        }
        long declared = ask.framing().declaredLength();
        if (declared > ground.maxBodyBytes()) {
            return refuse(trail, GatewayError.PAYLOAD_TOO_LARGE,
                    "the request body of " + declared + " bytes is larger than " + ground.maxBodyBytes() + " bytes");
        }
        // an oci route's registry gets the path unchanged (/v2/...), other routes the part below the prefix
        String below = isOci ? path.path() : Router.remainder(route, path.path());
        if (!isOci && indexFile(route, below, method)) {
            service = Verdict.Service.INDEX;
        }
        return new Verdict.Allowed(trail, service, below, new CanonicalPath(below, query).encodedTarget());
    }

    /**
     * Whether the index step answers this request: a GET or HEAD of an {@code index.yaml} on a route that rewrites
     * or filters its index.
     */
    public static boolean indexFile(RouteConfig route, String below, String method) {
        var options = route.upstream().index();
        return (options.rewriteUrls() || options.filter()) && (method.equals("GET") || method.equals("HEAD"))
                && (below.equals("/index.yaml") || below.endsWith("/index.yaml"));
    }

    private static Decision authenticated(boolean anonymous, String rule, String principal, CanonicalPath path) {
        return anonymous ? new Decision(false, Access.READ, null, principal, path) : new Decision(true, Access.READ, rule, principal, path);
    }

    private static Verdict.Refused refuse(Trail trail, GatewayError error, String message) {
        return new Verdict.Refused(trail, error, null, message, null);
    }
}
