package io.chartgate.proxy;

import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.metrics.MetricNames;
import io.chartgate.policy.Access;
import io.chartgate.policy.CanonicalPath;
import io.chartgate.policy.Decision;
import io.chartgate.upstream.Router;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Runs every request along the gateway's way: identity, canonical path, route, access, policy, upstream;
 * each step may end the exchange with a gateway error. Then one access-log line and the metrics. It holds
 * no state of its own: the current {@link GatewayState} is read once per request.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {

    private final Supplier<GatewayState> state;
    private final AccessLog accessLog;
    private final GatewayMetrics metrics;
    private final ClosingConnections closing;

    public ProxyHandler(Supplier<GatewayState> state, AccessLog accessLog, GatewayMetrics metrics, ClosingConnections closing) {
        this.state = state;
        this.closing = closing;
        this.accessLog = accessLog;
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (closing.isClosing(request.connection())) {
            request.connection().close();
            return;
        }
        request.pause();
        GatewayState current = state.get();
        String requestId = ForwardedHeaders.saneRequestId(request.getHeader(ForwardedHeaders.REQUEST_ID));
        if (requestId == null) {
            requestId = UUID.randomUUID().toString();
        }
        X509Certificate certificate = peerCertificate(request);
        ClientIdentity identity = certificate == null ? ClientIdentity.ANONYMOUS : IdentityExtractor.fromCertificate(certificate);
        Exchange exchange = new Exchange(request, requestId, identity, certificate, closing);
        request.response().putHeader(ForwardedHeaders.REQUEST_ID, requestId);
        request.response().endHandler(v -> finish(exchange));
        request.response().closeHandler(v -> finish(exchange));
        run(exchange, current);
    }

    private void run(Exchange exchange, GatewayState current) {
        HttpServerRequest request = exchange.request;
        List<String> transferEncoding = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!transferEncoding.isEmpty()
                && (transferEncoding.size() > 1 || !transferEncoding.get(0).trim().equalsIgnoreCase("chunked"))) {
            exchange.fail(GatewayError.BAD_REQUEST, "unsupported Transfer-Encoding (only chunked is accepted)");
            return;
        }
        CanonicalPath.Result parsed = CanonicalPath.parse(request.uri());
        if (parsed instanceof CanonicalPath.Rejected rejected) {
            exchange.fail(GatewayError.BAD_REQUEST, rejected.reason());
            return;
        }
        exchange.path = ((CanonicalPath.Canonical) parsed).path();
        var route = current.router().route(exchange.path);
        if (route.isEmpty()) {
            exchange.fail(GatewayError.NO_ROUTE, "no route for " + exchange.path);
            return;
        }
        exchange.route = route.get();
        exchange.access = Access.ofMethod(request.method().name());
        if (exchange.access == null) {
            request.response().putHeader(HttpHeaders.ALLOW, "GET, HEAD, POST, PUT, PATCH, DELETE");
            exchange.fail(GatewayError.METHOD_NOT_ALLOWED, request.method().name() + " is not allowed");
            return;
        }
        Decision decision = current.policy().decide(exchange.identity, exchange.access, exchange.path);
        exchange.decision = decision;
        if (!decision.allowed()) {
            if (exchange.identity.isAnonymous()) {
                exchange.fail(GatewayError.CERTIFICATE_REQUIRED, "a client certificate is required to "
                        + exchange.access.label() + " " + exchange.path);
            } else {
                exchange.fail(GatewayError.FORBIDDEN, decision.reason());
            }
            return;
        }
        Upstream upstream = current.upstreams().get(exchange.route.name());
        var config = current.config().server();
        UpstreamRequest forward = new UpstreamRequest(request, Router.remainder(exchange.route, exchange.path),
                new CanonicalPath(Router.remainder(exchange.route, exchange.path), exchange.path.rawQuery()).encodedTarget(),
                ForwardedHeaders.forUpstream(request, exchange.identity, exchange.certificate, config.forwardClientCert(),
                        config.trustedProxies(), exchange.requestId),
                config.limits().maxBodyBytes(), n -> exchange.bytesIn += n);
        upstream.forward(forward).onFailure(cause -> {
            if (cause instanceof UpstreamException e) {
                exchange.fail(switch (e.kind()) {
                    case UNAVAILABLE -> GatewayError.UPSTREAM_UNAVAILABLE;
                    case TIMEOUT -> GatewayError.UPSTREAM_TIMEOUT;
                    case TOO_LARGE -> GatewayError.PAYLOAD_TOO_LARGE;
                    case METHOD_NOT_ALLOWED -> GatewayError.METHOD_NOT_ALLOWED;
                }, e.getMessage());
            } else if (!request.response().headWritten()) {
                exchange.fail(GatewayError.UPSTREAM_UNAVAILABLE, "the upstream exchange failed");
            } else {
                request.response().reset();
            }
        });
    }

    private void finish(Exchange exchange) {
        if (exchange.finished) {
            return;
        }
        exchange.finished = true;
        HttpServerRequest request = exchange.request;
        int status = request.response().getStatusCode();
        long nanos = System.nanoTime() - exchange.startNanos;
        String route = exchange.route == null ? MetricNames.NONE : exchange.route.name();
        String access = exchange.access == null || exchange.route == null ? MetricNames.NONE : exchange.access.label();
        metrics.request(route, access, exchange.outcome(), status, Duration.ofNanos(nanos));
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "request");
        entry.put("time", Instant.now().toString());
        entry.put("requestId", exchange.requestId);
        entry.put("remote", request.connection().remoteAddress().toString());
        entry.put("method", request.method().name());
        entry.put("path", exchange.path == null ? request.uri() : exchange.path.path());
        entry.put("status", status);
        entry.put("bytesIn", exchange.bytesIn);
        entry.put("bytesOut", request.response().bytesWritten());
        entry.put("durationMs", Math.round(nanos / 1e4) / 100.0);
        entry.put("route", exchange.route == null ? null : exchange.route.name());
        entry.put("access", exchange.access == null ? null : exchange.access.label());
        entry.put("decision", exchange.outcome());
        entry.put("rule", exchange.decision == null ? null : exchange.decision.rule());
        entry.put("subject", exchange.identity.isAnonymous() ? null : exchange.identity.subject().rfc4514());
        entry.put("fingerprint", exchange.identity.fingerprint());
        accessLog.write(entry);
    }

    private static X509Certificate peerCertificate(HttpServerRequest request) {
        if (!request.isSSL()) {
            return null;
        }
        try {
            List<Certificate> chain = request.connection().peerCertificates();
            return chain == null || chain.isEmpty() ? null : (X509Certificate) chain.get(0);
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
