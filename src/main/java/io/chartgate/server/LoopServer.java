package io.chartgate.server;

import io.chartgate.identity.IdentityExtractor;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.metrics.HandshakeResult;
import io.chartgate.proxy.AccessLog;
import io.chartgate.proxy.ProxyHandler;
import io.chartgate.tls.HandshakeClassifier;
import io.chartgate.tls.HandshakeRejection;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What there is one of per event loop: the TLS server on the shared port, deployed on its loop, with its request
 * handler; every connection it accepts is served on that loop. The process-level parts (state, reloader, admin,
 * metrics, access log) are {@link Gateway}'s and shared.
 */
final class LoopServer extends VerticleBase {

    private final HttpServerOptions options;
    private final ProxyHandler handler;
    private final GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final AtomicLong connections = new AtomicLong();
    private volatile HttpServer http;

    LoopServer(HttpServerOptions options, ProxyHandler handler, GatewayMetrics metrics, AccessLog accessLog) {
        this.options = options;
        this.handler = handler;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    @Override
    public Future<?> start() {
        http = vertx.createHttpServer(options);
        http.requestHandler(handler)
                .invalidRequestHandler(handler::invalid)
                .exceptionHandler(failure -> {
                    HandshakeResult result = HandshakeClassifier.ofConnectionFailure(failure);
                    if (result != null) {
                        metrics.handshake(result);
                        accessLog.write(handshakeEntry(result, null, null));
                    }
                })
                .connectionHandler(connection -> {
                    StrictRequestDecoder.install(connection, options);
                    connections.incrementAndGet();
                    metrics.handshake(HandshakeResult.OK);
                    metrics.connectionOpened();
                    connection.closeHandler(v -> {
                        metrics.connectionClosed();
                        handler.closed(connection);
                    });
                });
        return http.listen();
    }

    /** The server; its TLS options are shared by every loop's server, so updating one updates all. */
    HttpServer http() {
        return http;
    }

    /** How many connections this loop accepted so far. */
    long connections() {
        return connections.get();
    }

    /** The access-log line of a failed handshake; {@code rejection} names the refused certificate, when there was one. */
    static Map<String, Object> handshakeEntry(HandshakeResult reason, String remote, HandshakeRejection rejection) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "tls_handshake_failed");
        entry.put("time", Instant.now().toString());
        entry.put("reason", reason.label());
        entry.put("remote", remote);
        if (rejection != null && rejection.certificate() != null) {
            entry.put("subject", rejection.certificate().getSubjectX500Principal().getName());
            entry.put("fingerprint", IdentityExtractor.fingerprint(rejection.certificate()));
            entry.put("detail", rejection.detail());
        }
        return entry;
    }
}
