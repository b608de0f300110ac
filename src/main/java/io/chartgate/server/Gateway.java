package io.chartgate.server;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.admin.AdminServer;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.proxy.ClosingConnections;
import io.chartgate.proxy.ErrorRenderer;
import io.chartgate.proxy.GatewayError;
import io.chartgate.proxy.GatewayState;
import io.chartgate.proxy.ProxyHandler;
import io.chartgate.tls.HandshakeRejection;
import io.chartgate.tls.SslOptionsMapper;
import io.chartgate.tls.TlsException;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.file.FileUpstream;
import io.chartgate.upstream.http.HttpUpstream;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLHandshakeException;

/**
 * The composition root: builds the upstream adapters, the TLS server with the request handler, and the admin
 * server from one compiled configuration, and stops them in order. {@link #close()} stops accepting and lets
 * in-flight requests finish within {@code server.shutdownGraceSeconds}.
 */
public final class Gateway {

    private final Vertx vertx;
    private final HttpServer server;
    private final AdminServer admin;
    private final UpstreamProbe probe;
    private final AtomicReference<GatewayState> state;
    private final AccessLog accessLog;

    private Gateway(Vertx vertx, HttpServer server, AdminServer admin, UpstreamProbe probe,
            AtomicReference<GatewayState> state, AccessLog accessLog) {
        this.vertx = vertx;
        this.server = server;
        this.admin = admin;
        this.probe = probe;
        this.state = state;
        this.accessLog = accessLog;
    }

    /** Starts everything; the future fails (with nothing left listening) when a port cannot be bound. */
    public static Future<Gateway> start(Vertx vertx, CompiledConfig compiled, AccessLog accessLog, GatewayMetrics metrics)
            throws ConfigException {
        GatewayConfig config = compiled.config();
        AtomicReference<GatewayState> state = new AtomicReference<>(new GatewayState(compiled, upstreams(vertx, config)));
        ServerSSLOptions ssl = SslOptionsMapper.serverOptions(config.server().tls(), compiled.tls(), Clock.systemUTC(),
                rejection -> {
                    metrics.handshake(rejection.reason());
                    accessLog.write(handshakeEntry(rejection.reason(), rejection.remote(), rejection));
                });
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.server().host())
                .setPort(config.server().port())
                .setSsl(true)
                .setSslEngineOptions(SslOptionsMapper.engine())
                .setKeyCertOptions(ssl.getKeyCertOptions())
                .setTrustOptions(ssl.getTrustOptions())
                .setClientAuth(ssl.getClientAuth())
                .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols())
                .setIdleTimeout(config.server().limits().idleTimeoutSeconds())
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setMaxHeaderSize(config.server().limits().maxHeaderBytes())
                .setCompressionSupported(false);
        ssl.getEnabledCipherSuites().forEach(options::addEnabledCipherSuite);

        ClosingConnections closing = new ClosingConnections();
        HttpServer server = vertx.createHttpServer(options)
                .requestHandler(new ProxyHandler(state::get, accessLog, metrics, closing))
                .invalidRequestHandler(request -> invalidRequest(request, closing))
                .exceptionHandler(failure -> {
                    String result = handshakeFailure(failure);
                    if (result != null) {
                        metrics.handshake(result);
                        accessLog.write(handshakeEntry(result, null, null));
                    }
                })
                .connectionHandler(connection -> {
                    StrictRequestDecoder.install(connection, options);
                    metrics.handshake("ok");
                    metrics.connectionOpened();
                    connection.closeHandler(v -> metrics.connectionClosed());
                });
        UpstreamProbe probe = new UpstreamProbe(vertx);
        return server.listen()
                .compose(listening -> {
                    probe.start(config.routes());
                    return AdminServer.start(vertx, config.admin().host(), config.admin().port(), metrics, probe::notReady);
                })
                .map(admin -> new Gateway(vertx, server, admin, probe, state, accessLog))
                .onFailure(e -> {
                    probe.stop();
                    server.close();
                });
    }

    private static Map<String, Upstream> upstreams(Vertx vertx, GatewayConfig config) throws ConfigException {
        Map<String, Upstream> upstreams = new HashMap<>();
        List<ConfigError> errors = new ArrayList<>();
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig route = config.routes().get(i);
            try {
                if (route.upstream() instanceof HttpUpstreamConfig http) {
                    upstreams.put(route.name(), new HttpUpstream(vertx, http));
                } else if (route.upstream() instanceof FileUpstreamConfig file) {
                    upstreams.put(route.name(), new FileUpstream(vertx, file));
                } else {
                    errors.add(new ConfigError("routes[" + i + "].upstream.type",
                            "\"" + route.upstream().type() + "\" upstreams are not supported by this build yet"));
                }
            } catch (TlsException e) {
                errors.add(new ConfigError("routes[" + i + "].upstream.caFile", e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            upstreams.values().forEach(Upstream::close);
            throw new ConfigException(errors);
        }
        return upstreams;
    }

    /** Requests the HTTP codec could not parse get the same JSON error, and their connection is closed. */
    private static void invalidRequest(HttpServerRequest request, ClosingConnections closing) {
        Throwable cause = request.decoderResult().cause();
        String message;
        if (cause instanceof TooLongFrameException) {
            message = "the request line or headers are too large";
        } else {
            message = "malformed request" + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        ErrorRenderer.send(request, GatewayError.BAD_REQUEST, message, UUID.randomUUID().toString(), closing);
    }

    /**
     * The metric result of a failed connection, or null when it is not a handshake failure or the trust
     * manager already reported it (a refused certificate).
     */
    static String handshakeFailure(Throwable failure) {
        if (!(failure instanceof SSLHandshakeException) && !(failure.getCause() instanceof SSLHandshakeException)) {
            return null;
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException) {
                return null;
            }
        }
        String message = String.valueOf(failure.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (message.contains("empty client certificate chain") || message.contains("null cert chain")
                || message.contains("peer_did_not_return_a_certificate") || message.contains("certificate_required")) {
            return "no_certificate";
        }
        if (message.contains("protocol") || message.contains("cipher") || message.contains("unsupported")) {
            return "protocol";
        }
        return "other";
    }

    private static Map<String, Object> handshakeEntry(String reason, String remote, HandshakeRejection rejection) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "tls_handshake_failed");
        entry.put("time", Instant.now().toString());
        entry.put("reason", reason);
        entry.put("remote", remote);
        if (rejection != null && rejection.certificate() != null) {
            entry.put("subject", rejection.certificate().getSubjectX500Principal().getName());
            entry.put("fingerprint", IdentityExtractor.fingerprint(rejection.certificate()));
            entry.put("detail", rejection.detail());
        }
        return entry;
    }

    public int port() {
        return server.actualPort();
    }

    public int adminPort() {
        return admin.port();
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Stops accepting, lets in-flight requests finish within the grace period, then releases everything. */
    public Future<Void> close() {
        int grace = state.get().compiled().config().server().shutdownGraceSeconds();
        probe.stop();
        return server.shutdown(grace, TimeUnit.SECONDS)
                .eventually(() -> admin.close())
                .andThen(ar -> state.get().upstreams().values().forEach(Upstream::close))
                .andThen(ar -> accessLog.close())
                .mapEmpty();
    }
}
