package io.chartgate.proxy;

import io.chartgate.config.CrlStale;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.decision.Ask;
import io.chartgate.decision.Framing;
import io.chartgate.decision.GatewayError;
import io.chartgate.decision.RequestDecision;
import io.chartgate.decision.Trail;
import io.chartgate.decision.Verdict;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.metrics.MetricNames;
import io.chartgate.metrics.UpstreamFailure;
import io.chartgate.policy.Access;
import io.chartgate.policy.OciRequest;
import io.chartgate.tls.ClientTrust;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.chartgate.upstream.oci.OciUpstream;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Carries every request by the gateway's decision ({@link RequestDecision}: framing, canonical path, the trust in
 * force, route, access, policy, body size): a refusal is answered with its gateway error, an allowed request goes
 * to the index step, the gateway's OCI catalog or the route's upstream. Then one access-log line and the metrics.
 * It holds no state of its own but each connection's verified peer: the current {@link GatewayState} is read once
 * per request.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {

    private static final Logger LOG = Logger.getLogger(ProxyHandler.class.getName());

    static final String NOSNIFF = "X-Content-Type-Options";


    /** The status logged and counted for a request whose client went away before any response. */
    static final int CLIENT_CLOSED = 499;

    private final Supplier<GatewayState> state;
    private final AccessLog accessLog;
    private final GatewayMetrics metrics;
    private final ClosingConnections closing;
    /**
     * Each connection's client certificate as verified under the trust in force (its path to an anchor) and the
     * identity read from it, so a keep-alive connection builds its path and parses its certificate (DN, SANs,
     * fingerprint) once, not on every request. Keyed weakly and removed on close; a certificate that differs from
     * the cached one (a TLS 1.2 renegotiation), or a reload's new trust, makes it verified and read again.
     */
    private final Map<HttpConnection, Peer> peers = Collections.synchronizedMap(new WeakHashMap<>());
    private final Function<ClientTrust.VerifiedChain, Future<Void>> crlsReady;

    private record Peer(X509Certificate certificate, ClientTrust trust, ClientTrust.Verification verification,
            ClientIdentity identity) {
    }

    /**
     * @param crlsReady completes when the CRLs covering a verified chain are at hand (crlFetch: a distribution
     *     point first seen is fetched before the request goes on), or fails saying why they are not
     */
    public ProxyHandler(Supplier<GatewayState> state, AccessLog accessLog, GatewayMetrics metrics, ClosingConnections closing,
            Function<ClientTrust.VerifiedChain, Future<Void>> crlsReady) {
        this.state = state;
        this.crlsReady = crlsReady;
        this.closing = closing;
        this.accessLog = accessLog;
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (closing.isClosing(request.connection())) {
            // pipelined behind a refused request on a connection that is being closed: never forwarded
            request.connection().close();
            return;
        }
        request.pause();
        GatewayState current = state.get();
        Exchange exchange = begin(request, current);
        // once per connection and trust: the CRLs covering the chain must be at hand (crlFetch)
        Future<Void> crls = !exchange.verifiedNow || exchange.trust.chain() == null
                ? null : crlsReady.apply(exchange.trust.chain());
        if (crls == null || crls.succeeded()) {
            dispatch(exchange, current);
            return;
        }
        // a CRL distribution point first seen: the request waits for its CRL (and the reload applying it)
        Context context = Vertx.currentContext();
        crls.onComplete(ready -> context.runOnContext(v -> {
            if (exchange.finished) {
                return; // the client went away meanwhile
            }
            GatewayState now = state.get();
            if (ready.failed() && now.config().server().tls().crlStale() == CrlStale.REJECT) {
                peers.remove(exchange.request.connection()); // so the next request asks again
                // why is in the crl_fetch log line; the distribution point's address is not the client's business
                exchange.fail(GatewayError.FORBIDDEN, "the CRL covering " + exchange.identity.principal()
                        + " could not be fetched (crlStale: reject)");
                return;
            }
            dispatch(exchange, now);
        }));
    }

    private void dispatch(Exchange exchange, GatewayState current) {
        // a reload releases this state's upstream clients once no request runs under it any more
        current.inFlight().incrementAndGet();
        exchange.atFinish.add(current.inFlight()::decrementAndGet);
        try {
            run(exchange, current);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "request " + exchange.requestId + " failed inside the gateway", e);
            exchange.fail(GatewayError.UPSTREAM_UNAVAILABLE, "the gateway could not forward the request");
        }
    }

    /** The HTTP codec could not parse this request: the same JSON 400, a log line and a metric, then close. */
    public void invalid(HttpServerRequest request) {
        Exchange exchange = begin(request, state.get());
        Throwable cause = request.decoderResult().cause();
        String message;
        if (cause instanceof TooLongFrameException) {
            message = "the request line or headers are too large";
        } else {
            message = "malformed request" + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        ErrorRenderer.send(request, GatewayError.BAD_REQUEST, message, exchange.requestId, closing);
    }

    private Exchange begin(HttpServerRequest request, GatewayState current) {
        String requestId = ForwardedHeaders.saneRequestId(request.getHeader(ForwardedHeaders.REQUEST_ID));
        if (requestId == null) {
            requestId = newRequestId();
        }
        List<X509Certificate> chain = peerCertificates(request);
        Peer cached = chain.isEmpty() ? null : peers.get(request.connection());
        Peer peer = chain.isEmpty() ? null : peer(request.connection(), chain, current.trust());
        Exchange exchange = peer == null
                ? new Exchange(request, requestId, ClientIdentity.ANONYMOUS, null, null, closing)
                : new Exchange(request, requestId, peer.identity(), peer.certificate(), peer.verification(), closing);
        exchange.verifiedNow = peer != null && peer != cached;
        request.response().putHeader(ForwardedHeaders.REQUEST_ID, requestId);
        // no browser may guess another type than the one sent (an index or a chart served as HTML)
        request.response().putHeader(NOSNIFF, "nosniff");
        request.response().endHandler(v -> finish(exchange));
        request.response().closeHandler(v -> finish(exchange));
        return exchange;
    }

    private Peer peer(HttpConnection connection, List<X509Certificate> chain, ClientTrust trust) {
        X509Certificate certificate = chain.get(0);
        Peer peer = peers.get(connection);
        if (peer != null && peer.trust() == trust
                && (peer.certificate() == certificate || peer.certificate().equals(certificate))) {
            return peer;
        }
        ClientTrust.Verification verification = trust.verify(chain, Instant.now());
        ClientIdentity identity = IdentityExtractor.fromCertificate(certificate,
                verification.chain() == null ? null : verification.chain().anchor());
        peer = new Peer(certificate, trust, verification, identity);
        peers.put(connection, peer);
        metrics.clientCertificate(identity.principal(), identity.notAfter());
        return peer;
    }

    /**
     * A random (version 4) UUID from the thread's fast generator: a request id names a request in logs, it guards
     * nothing, and {@code UUID.randomUUID()}'s SecureRandom cost a loaded gateway a percent of its core.
     */
    static String newRequestId() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & ~0xC000000000000000L) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** Forgets what was cached for a connection that closed. */
    public void closed(HttpConnection connection) {
        peers.remove(connection);
    }

    private void run(Exchange exchange, GatewayState current) {
        HttpServerRequest request = exchange.request;
        var limits = current.config().server().limits();
        Verdict verdict = RequestDecision.decide(new Ask(exchange.identity, exchange.trust, request.method().name(),
                request.uri(), framing(request), Instant.now()), current.ground());
        Trail trail = verdict.trail();
        exchange.path = trail.path();
        exchange.route = trail.route();
        exchange.oci = trail.oci();
        exchange.access = trail.access();
        exchange.decision = trail.decision();
        exchange.repository = trail.registryRequest() == null ? null : trail.registryRequest().repository();
        exchange.mount = trail.mount() == null ? null : trail.mountKept() ? "kept" : "dropped";
        if (verdict instanceof Verdict.Refused refused) {
            if (refused.allow() != null) {
                request.response().putHeader(HttpHeaders.ALLOW, refused.allow());
            }
            exchange.fail(refused.error(), refused.ociCode(), refused.message());
            return;
        }
        Verdict.Allowed allowed = (Verdict.Allowed) verdict;
        OciRequest oci = trail.registryRequest();
        if (allowed.service() == Verdict.Service.CATALOG) {
            if (current.upstreams().get(exchange.route.name()) instanceof OciUpstream registry) {
                OciCatalog.serve(exchange, registry, repository -> current.policy().mayPull(exchange.identity, repository),
                        exchange.path.rawQuery());
            } else {
                exchange.fail(GatewayError.UPSTREAM_UNAVAILABLE, "the route's registry cannot list its repositories");
            }
            return;
        }
        var server = current.config().server();
        UpstreamRequest forward = new UpstreamRequest(request, allowed.upstreamPath(), allowed.upstreamTarget(),
                ForwardedHeaders.forUpstream(request, exchange.identity, exchange.certificate, server.forwardClientCert(),
                        server.trustedProxies(), exchange.requestId),
                limits.maxBodyBytes(), n -> exchange.bytesIn += n);
        if (oci != null) {
            List<String> sources = trail.mountKept() ? trail.mount().sources() : List.of();
            forward = forward.withRegistryScopes(OciUpstream.scopes(oci.repository(), request.method().name(),
                    exchange.access == Access.WRITE, sources));
        }
        Upstream upstream = current.upstreams().get(exchange.route.name());
        String routeName = exchange.route.name();
        long sent = System.nanoTime();
        // an index file is answered by the index step, mostly from memory: its answers are not the upstream's
        boolean viaIndexStep = allowed.service() == Verdict.Service.INDEX;
        request.response().headersEndHandler(v -> {
            // the response headers are the upstream's unless the gateway answered with an error of its own
            if (!exchange.gatewayAnswered && !viaIndexStep) {
                metrics.upstream(routeName, Duration.ofNanos(System.nanoTime() - sent));
                int status = request.response().getStatusCode();
                if (status >= 500) {
                    metrics.upstreamError(routeName, UpstreamFailure.STATUS_5XX);
                }
                // A write the upstream took invalidates the cached indexes before the client hears of it: its next
                // GET, on any connection and any event loop, gets the new index.
                if (exchange.access == Access.WRITE && status >= 200 && status < 300 && exchange.index != null) {
                    exchange.index.written(routeName);
                }
            }
        });
        exchange.index = current.index();
        // requireProvenance: uploads are read whole, checked, and sent on only when their provenance holds
        var keyring = exchange.access == Access.WRITE ? current.keyrings().get(routeName) : null;
        Future<Void> answered = viaIndexStep
                ? current.index().serve(forward, exchange.route, upstream, exchange.path.encoded(), exchange.identity,
                        current.policy(), exchange.atFinish::add)
                : keyring != null ? ProvenanceStep.forward(forward, upstream, keyring) : upstream.forward(forward);
        answered.onFailure(cause -> {
            exchange.gatewayAnswered = true;
            if (cause instanceof ProvenanceStep.Refusal refusal) {
                exchange.fail(GatewayError.PROVENANCE_INVALID, refusal.getMessage());
                return;
            }
            if (cause instanceof UpstreamException e && e.failure() != null) {
                metrics.upstreamError(routeName, e.failure());
            }
            if (cause instanceof UpstreamException e && e.detail() != null) {
                // the upstream's address and the socket error are for the operator, not the client
                LOG.warning("request " + exchange.requestId + " to route " + routeName + ": " + e.getMessage() + ": "
                        + e.detail());
            }
            if (cause instanceof UpstreamException e) {
                if (e.kind() == UpstreamException.Kind.METHOD_NOT_ALLOWED) {
                    request.response().putHeader(HttpHeaders.ALLOW,
                            exchange.route.upstream() instanceof S3UpstreamConfig ? "GET, HEAD, PUT, DELETE" : "GET, HEAD");
                }
                exchange.fail(switch (e.kind()) {
                    case UNAVAILABLE -> GatewayError.UPSTREAM_UNAVAILABLE;
                    case TIMEOUT -> GatewayError.UPSTREAM_TIMEOUT;
                    case TOO_LARGE -> GatewayError.PAYLOAD_TOO_LARGE;
                    case METHOD_NOT_ALLOWED -> GatewayError.METHOD_NOT_ALLOWED;
                    case BAD_REQUEST -> GatewayError.BAD_REQUEST;
                    case OVERLOADED -> GatewayError.OVERLOADED;
                }, e.getMessage());
            } else if (!request.response().headWritten()) {
                LOG.log(Level.WARNING, "request " + exchange.requestId + " failed upstream", cause);
                exchange.fail(GatewayError.UPSTREAM_UNAVAILABLE, "the upstream exchange failed");
            } else {
                request.response().reset();
            }
        });
    }

    /** What the request's head says about its body. */
    private static Framing framing(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long declared;
        try {
            declared = length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            declared = -1;
        }
        return new Framing(request.headers().getAll(HttpHeaders.TRANSFER_ENCODING),
                request.headers().getAll(HttpHeaders.CONTENT_ENCODING), ResponseRelay.hasBody(request), declared);
    }

    private void finish(Exchange exchange) {
        if (exchange.finished) {
            return;
        }
        exchange.finished = true;
        exchange.atFinish.forEach(Runnable::run);
        HttpServerRequest request = exchange.request;
        HttpServerResponse response = request.response();
        int status = response.ended() ? response.getStatusCode() : CLIENT_CLOSED;
        long nanos = System.nanoTime() - exchange.startNanos;
        String route = exchange.route == null ? MetricNames.NONE : exchange.route.name();
        String access = exchange.access == null || exchange.route == null ? MetricNames.NONE : exchange.access.label();
        metrics.request(route, access, exchange.outcome(), status, Duration.ofNanos(nanos),
                exchange.identity.isAnonymous() ? null : exchange.identity.principal(), exchange.bytesIn, response.bytesWritten());
        StatusRecording.record(metrics.recent(), exchange, status);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "request");
        entry.put("time", Instant.now()); // formatted by the log's writer thread, off the event loop
        entry.put("requestId", exchange.requestId);
        entry.put("remote", request.connection().remoteAddress().toString());
        entry.put("method", request.method().name());
        if (exchange.path != null) {
            entry.put("path", exchange.path.path());
        } else {
            // a refused target: its path as sent and the names of its query parameters, never their values
            // (a presigned URL's signature, a token)
            String uri = request.uri();
            int query = uri.indexOf('?');
            entry.put("path", query < 0 ? uri : uri.substring(0, query));
            if (query >= 0) {
                entry.put("queryNames", queryNames(uri.substring(query + 1)));
            }
        }
        if (exchange.repository != null) {
            entry.put("repository", exchange.repository);
        }
        if (exchange.mount != null) {
            entry.put("mount", exchange.mount);
        }
        entry.put("status", status);
        entry.put("bytesIn", exchange.bytesIn);
        entry.put("bytesOut", response.bytesWritten());
        entry.put("durationMs", Math.round(nanos / 1e4) / 100.0);
        entry.put("route", exchange.route == null ? null : exchange.route.name());
        entry.put("access", exchange.access == null ? null : exchange.access.label());
        entry.put("decision", exchange.outcome().label());
        entry.put("rule", exchange.decision == null ? null : exchange.decision.rule());
        entry.put("subject", exchange.identity.isAnonymous() ? null : exchange.identity.subject().rfc4514());
        entry.put("fingerprint", exchange.identity.fingerprint());
        accessLog.write(entry);
    }

    private static List<String> queryNames(String query) {
        List<String> names = new java.util.ArrayList<>();
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    /** The client's certificate and what it sent along, or empty for an anonymous client. */
    private static List<X509Certificate> peerCertificates(HttpServerRequest request) {
        if (!request.isSSL()) {
            return List.of();
        }
        try {
            List<Certificate> sent = request.connection().peerCertificates();
            if (sent == null) {
                return List.of();
            }
            List<X509Certificate> chain = new java.util.ArrayList<>(sent.size());
            for (Certificate c : sent) {
                chain.add((X509Certificate) c);
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }
}
