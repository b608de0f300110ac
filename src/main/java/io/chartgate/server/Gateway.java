package io.chartgate.server;

import io.chartgate.admin.AdminServer;
import io.chartgate.admin.ReloadResult;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.OciUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.config.UpstreamConfig;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.proxy.ClosingConnections;
import io.chartgate.proxy.GatewayState;
import io.chartgate.proxy.IndexStep;
import io.chartgate.proxy.ProxyHandler;
import io.chartgate.tls.HandshakeRejection;
import io.chartgate.tls.SslOptionsMapper;
import io.chartgate.tls.TlsMaterial;
import io.chartgate.tls.TrustSwitch;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.file.FileUpstream;
import io.chartgate.upstream.http.HttpUpstream;
import io.chartgate.upstream.oci.OciUpstream;
import io.chartgate.upstream.s3.S3Upstream;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The composition root, and what there is one of per process: builds the upstream adapters, one
 * {@link LoopServer} per event loop, the admin server, the probes, the reloader and the CRL fetcher from one
 * compiled configuration; reloads it (file watch, SIGHUP, {@code POST /-/reload}) by building
 * a complete new state and swapping it in, or changing nothing; and stops everything in order.
 */
public final class Gateway {

    private final Vertx vertx;
    private final List<LoopServer> servers;
    private final AdminServer admin;
    private final UpstreamProbe probe;
    private final Liveness liveness;
    private final AtomicReference<GatewayState> state;
    private final AccessLog accessLog;
    private final Reloader reloader;
    private final CrlFetcher crls;

    private static final AtomicInteger SHARED_RANDOM_PORT = new AtomicInteger();

    private Gateway(Vertx vertx, List<LoopServer> servers, AdminServer admin, UpstreamProbe probe, Liveness liveness,
            CrlFetcher crls, AtomicReference<GatewayState> state, AccessLog accessLog, Reloader reloader) {
        this.liveness = liveness;
        this.crls = crls;
        this.vertx = vertx;
        this.servers = servers;
        this.admin = admin;
        this.probe = probe;
        this.state = state;
        this.accessLog = accessLog;
        this.reloader = reloader;
    }

    /**
     * Starts everything; the future fails (with nothing left listening or open) when a port cannot be bound.
     *
     * @param loader reads the configuration again on reload (its file is {@code compiled.config().source()})
     */
    public static Future<Gateway> start(Vertx vertx, ConfigLoader loader, CompiledConfig compiled, AccessLog accessLog,
            GatewayMetrics metrics) {
        GatewayConfig config = compiled.config();
        metrics.configLoaded(Instant.now(), false);
        metrics.expiries(expiries(compiled.tls()));
        Consumer<HandshakeRejection> rejections = rejection -> {
            metrics.handshake(rejection.reason());
            accessLog.write(LoopServer.handshakeEntry(rejection.reason(), rejection.remote(), rejection));
        };
        AtomicReference<GatewayState> state = new AtomicReference<>(state(vertx, compiled));
        // handshakes are judged under the trust of the state in force: a reload's swap changes both at once
        TrustSwitch trust = new TrustSwitch(() -> state.get().trust(), Clock.systemUTC(), rejections);
        HttpServerOptions options;
        try {
            options = SslOptionsMapper.httpServerOptions(sslOptions(compiled, trust));
        } catch (RuntimeException e) {
            state.get().upstreams().values().forEach(Upstream::close);
            throw e;
        }
        options.setHost(config.server().host())
                .setPort(config.server().port())
                .setIdleTimeout(config.server().limits().idleTimeoutSeconds())
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setMaxHeaderSize(config.server().limits().maxHeaderBytes())
                .setCompressionSupported(false);

        ClosingConnections closing = new ClosingConnections();
        AtomicReference<Reloader> reloading = new AtomicReference<>();
        CrlFetcher crls = new CrlFetcher(vertx, state::get, trigger -> reloading.get().reload(trigger), metrics, accessLog);
        // One server per event loop, all on the same port (Vert.x hands each new connection to the next one); a
        // configured port 0 becomes a negative one, which Vert.x reads as "one random port shared by these".
        int loops = config.server().eventLoops();
        if (options.getPort() == 0 && loops > 1) {
            options.setPort(-SHARED_RANDOM_PORT.incrementAndGet());
        }
        List<LoopServer> servers = new CopyOnWriteArrayList<>();
        Supplier<Deployable> perLoop = () -> {
            LoopServer server = new LoopServer(options, new ProxyHandler(state::get, accessLog, metrics, closing, crls::ready),
                    metrics, accessLog);
            servers.add(server);
            return server;
        };
        UpstreamProbe probe = new UpstreamProbe(vertx, () -> state.get().upstreams());
        Liveness liveness = Liveness.start(vertx);
        // the TLS options live with the server that bound the port: updating any one updates all
        Reloader reloader = new Reloader(vertx, loader, compiled, () -> servers.get(0).http(), state, metrics, accessLog,
                trust, probe);
        reloading.set(reloader);
        StatusReporter status = new StatusReporter(state::get, probe, reloader.lastReload, metrics, Instant.now());
        return vertx.deployVerticle(perLoop, new DeploymentOptions().setInstances(loops))
                .compose(deployment -> {
                    probe.start();
                    return AdminServer.start(vertx, config.admin().host(), config.admin().port(), metrics, probe::notReady,
                            liveness::stalled, () -> reloader.reload("admin"), status::report);
                })
                .map(admin -> {
                    reloader.watch();
                    crls.start();
                    return new Gateway(vertx, List.copyOf(servers), admin, probe, liveness, crls, state, accessLog, reloader);
                })
                .onFailure(e -> {
                    crls.stop();
                    liveness.stop();
                    probe.stop();
                    servers.stream().filter(s -> s.http() != null).forEach(s -> s.http().close());
                    state.get().upstreams().values().forEach(Upstream::close);
                });
    }

    /** The request handler's state for a compiled configuration: its upstream adapters and trust. */
    static GatewayState state(Vertx vertx, CompiledConfig compiled) {
        GatewayConfig config = compiled.config();
        Map<String, Upstream> upstreams = upstreams(vertx, config);
        IndexStep index = new IndexStep(vertx, config.server().limits(), config.server().publicUrl(),
                serverNames(compiled.tls().serverChain().get(0)), config.routes(), IndexStep.bases(config.routes(), upstreams));
        return new GatewayState(config, compiled.policy(), compiled.router(), upstreams, compiled.trust(), index,
                compiled.keyrings(), new java.util.concurrent.atomic.AtomicInteger());
    }

    /** The server certificate's DNS and IP names in order, or its CN when it has none: the bases an index may name. */
    static List<String> serverNames(X509Certificate server) {
        List<String> names = new ArrayList<>();
        try {
            if (server.getSubjectAlternativeNames() != null) {
                for (List<?> san : server.getSubjectAlternativeNames()) {
                    int type = (Integer) san.get(0);
                    if (type == 2 || type == 7) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // unreadable names: the CN below
        }
        if (names.isEmpty()) {
            List<String> cn = io.chartgate.identity.DistinguishedName.of(server.getSubjectX500Principal())
                    .values(org.bouncycastle.asn1.x500.style.BCStyle.CN);
            names.add(cn.isEmpty() ? "localhost" : cn.get(0));
        }
        return names;
    }

    static ServerSSLOptions sslOptions(CompiledConfig compiled, TrustSwitch trust) {
        return SslOptionsMapper.serverOptions(compiled.config().server().tls(), compiled.tls(), trust);
    }

    /** The server certificate, every trusted CA and every CRL's nextUpdate, for the expiry gauges. */
    static List<GatewayMetrics.Expiry> expiries(TlsMaterial tls) {
        List<GatewayMetrics.Expiry> expiries = new ArrayList<>();
        X509Certificate server = tls.serverChain().get(0);
        expiries.add(new GatewayMetrics.Expiry(GatewayMetrics.CertKind.SERVER, server.getSubjectX500Principal().getName(),
                server.getNotAfter().toInstant()));
        for (X509Certificate ca : java.util.stream.Stream.concat(tls.clientCas().stream(), tls.intermediates().stream()).toList()) {
            expiries.add(new GatewayMetrics.Expiry(GatewayMetrics.CertKind.CLIENT_CA, ca.getSubjectX500Principal().getName(),
                    ca.getNotAfter().toInstant()));
        }
        for (X509CRL crl : tls.crls()) {
            if (crl.getNextUpdate() != null) {
                expiries.add(new GatewayMetrics.Expiry(GatewayMetrics.CertKind.CRL_NEXT_UPDATE,
                        crl.getIssuerX500Principal().getName(), crl.getNextUpdate().toInstant()));
            }
        }
        return expiries;
    }

    /** One adapter per route, chosen by kind. */
    private static Map<String, Upstream> upstreams(Vertx vertx, GatewayConfig config) {
        Map<String, Upstream> upstreams = new HashMap<>();
        for (RouteConfig route : config.routes()) {
            upstreams.put(route.name(), route.upstream().match(new UpstreamConfig.Kinds<Upstream>() {
                @Override
                public Upstream http(HttpUpstreamConfig http) {
                    return new HttpUpstream(vertx, http);
                }

                @Override
                public Upstream s3(S3UpstreamConfig s3) {
                    return S3Upstream.create(vertx, s3);
                }

                @Override
                public Upstream file(FileUpstreamConfig file) {
                    return new FileUpstream(vertx, file);
                }

                @Override
                public Upstream oci(OciUpstreamConfig oci) {
                    return new OciUpstream(vertx, oci);
                }
            }));
        }
        return upstreams;
    }

    public int port() {
        return servers.get(0).http().actualPort();
    }

    public int adminPort() {
        return admin.port();
    }

    /**
     * The Vert.x instance a gateway runs on: Linux's native transport (epoll) when its library loads, which saves
     * a copy and a few system calls per read and write compared with NIO; NIO elsewhere.
     */
    /** A Vert.x with an event loop for each of {@code eventLoops} servers at least (its default is two per core). */
    public static Vertx newVertx(int eventLoops) {
        return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true)
                .setEventLoopPoolSize(Math.max(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, eventLoops)));
    }

    /** How many connections each event loop's server accepted so far, in the order the servers started. */
    public List<Long> connectionsPerLoop() {
        return servers.stream().map(LoopServer::connections).toList();
    }

    public Vertx vertx() {
        return vertx;
    }

    /** The state requests are served under now (the index step's cache, for tests and the status of a reload). */
    public GatewayState state() {
        return state.get();
    }

    /** Reloads now (SIGHUP, tests): the errors of a failed reload, or none when the new state is in force. */
    public Future<ReloadResult> reload(String trigger) {
        return reloader.reload(trigger);
    }

    /** Stops accepting, lets in-flight requests finish within the grace period, then releases everything. */
    public Future<Void> close() {
        int grace = state.get().config().server().shutdownGraceSeconds();
        reloader.stop();
        crls.stop();
        probe.stop();
        liveness.stop();
        return Future.all(servers.stream().map(s -> s.http().shutdown(grace, TimeUnit.SECONDS)).toList())
                .eventually(() -> admin.close())
                .andThen(ar -> state.get().upstreams().values().forEach(Upstream::close))
                .andThen(ar -> accessLog.close())
                .mapEmpty();
    }
}
