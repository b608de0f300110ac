package io.chartgate.server;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.proxy.GatewayState;
import io.chartgate.tls.HandshakeRejection;
import io.chartgate.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Reloads the configuration and every file it names, whole or not at all: compiles it off the event loop,
 * builds the new upstream adapters, hands the new TLS material to the server ({@code updateSSLOptions} with
 * force, since the file names do not change) and only then swaps the request handler's state. On any failure
 * the old state stays, and the failure is logged and counted. Files are watched by content (a hash, not a
 * modification time), so an in-place edit, a rename over a file and a Kubernetes {@code ..data} symlink swap
 * are all seen. Replaced upstream adapters are closed only after the shutdown grace period, so requests in
 * flight on them finish.
 */
final class Reloader {

    private final Vertx vertx;
    private final ConfigLoader loader;
    private final Path configFile;
    private final HttpServer server;
    private final AtomicReference<GatewayState> state;
    private final GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final Consumer<HandshakeRejection> rejections;
    private final UpstreamProbe probe;
    private volatile CompiledConfig current;
    private volatile String fingerprint;
    private long watchTimer = -1;
    private Future<List<String>> last = Future.succeededFuture(List.of());

    Reloader(Vertx vertx, ConfigLoader loader, CompiledConfig compiled, HttpServer server, AtomicReference<GatewayState> state,
            GatewayMetrics metrics, AccessLog accessLog, Consumer<HandshakeRejection> rejections, UpstreamProbe probe) {
        this.vertx = vertx;
        this.loader = loader;
        this.configFile = compiled.config().source();
        this.current = compiled;
        this.server = server;
        this.state = state;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.rejections = rejections;
        this.probe = probe;
        this.fingerprint = fingerprint(compiled.config());
    }

    /** Checks the files every {@code reload.watchIntervalSeconds} and reloads when their content changed. */
    void watch() {
        if (configFile == null) {
            return;
        }
        long interval = current.config().reload().watchIntervalSeconds() * 1000L;
        watchTimer = vertx.setPeriodic(interval, id -> vertx.executeBlocking(() -> fingerprint(current.config()), false)
                .onSuccess(now -> {
                    if (!now.equals(fingerprint)) {
                        fingerprint = now;
                        reload("watch");
                    }
                }));
    }

    void stop() {
        if (watchTimer >= 0) {
            vertx.cancelTimer(watchTimer);
        }
    }

    /** Reloads now; reloads run one after another. The errors of a failed reload, or none. */
    synchronized Future<List<String>> reload(String trigger) {
        last = last.transform(ignored -> attempt(trigger));
        return last;
    }

    private Future<List<String>> attempt(String trigger) {
        if (configFile == null) {
            return Future.succeededFuture(failed(trigger, List.of("the configuration was not loaded from a file")));
        }
        return vertx.executeBlocking(() -> CompiledConfig.compile(loader.load(configFile), Instant.now()), false)
                .compose(compiled -> apply(compiled, trigger), failure -> Future.succeededFuture(failed(trigger,
                        failure instanceof ConfigException e ? e.errors().stream().map(ConfigError::toString).toList()
                                : List.of(String.valueOf(failure.getMessage())))));
    }

    private Future<List<String>> apply(CompiledConfig compiled, String trigger) {
        List<String> problems = new ArrayList<>();
        GatewayConfig before = current.config();
        GatewayConfig after = compiled.config();
        if (!before.server().host().equals(after.server().host()) || before.server().port() != after.server().port()
                || !before.admin().equals(after.admin())) {
            problems.add("server.host, server.port and admin change only with a restart");
        }
        if (!problems.isEmpty()) {
            return Future.succeededFuture(failed(trigger, problems));
        }
        GatewayState next = Gateway.state(vertx, compiled);
        return server.updateSSLOptions(Gateway.sslOptions(compiled, rejections), true).transform(updated -> {
            if (updated.failed()) {
                next.upstreams().values().forEach(Upstream::close);
                return Future.succeededFuture(failed(trigger, List.of("the new TLS material was refused: "
                        + updated.cause().getMessage())));
            }
            GatewayState old = state.getAndSet(next);
            current = compiled;
            fingerprint = fingerprint(after);
            retire(old, after.server().shutdownGraceSeconds());
            probe.reprobe();
            metrics.configLoaded(Instant.now(), true);
            metrics.expiries(Gateway.expiries(compiled.tls()));
            Map<String, Object> entry = entry(trigger, "success");
            entry.put("warnings", compiled.tls().warnings());
            accessLog.write(entry);
            return Future.succeededFuture(List.of());
        });
    }

    /** Closes the adapters the new state no longer uses once requests in flight on them had time to finish. */
    private void retire(GatewayState old, int graceSeconds) {
        vertx.setTimer(Math.max(1, graceSeconds) * 1000L, id -> old.upstreams().values().forEach(Upstream::close));
    }

    private List<String> failed(String trigger, List<String> errors) {
        metrics.configReloadFailed();
        Map<String, Object> entry = entry(trigger, "failure");
        entry.put("errors", errors);
        accessLog.write(entry);
        return errors;
    }

    private static Map<String, Object> entry(String trigger, String result) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "config_reload");
        entry.put("time", Instant.now().toString());
        entry.put("trigger", trigger);
        entry.put("result", result);
        return entry;
    }

    /** A hash of the content of the configuration file and every file it names; a missing file counts too. */
    static String fingerprint(GatewayConfig config) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : files(config)) {
                digest.update(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try {
                    digest.update(Files.readAllBytes(file));
                } catch (NoSuchFileException e) {
                    digest.update((byte) 0);
                } catch (IOException e) {
                    digest.update((byte) 1);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The configuration file and every file it names: what is watched. */
    static List<Path> files(GatewayConfig config) {
        List<Path> files = new ArrayList<>();
        if (config.source() != null) {
            files.add(config.source());
        }
        var tls = config.server().tls();
        for (Path p : new Path[] {tls.certFile(), tls.keyFile(), tls.keyStoreFile(), tls.clientCaFile()}) {
            if (p != null) {
                files.add(p);
            }
        }
        files.addAll(tls.crlFiles());
        for (RouteConfig route : config.routes()) {
            if (route.upstream() instanceof HttpUpstreamConfig http && http.caFile() != null) {
                files.add(http.caFile());
            }
        }
        return files.stream().filter(Objects::nonNull).toList();
    }
}
