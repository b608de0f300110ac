package io.chartgate.server;

import io.chartgate.admin.ReloadResult;
import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.proxy.GatewayState;
import io.chartgate.tls.TrustSwitch;
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
import java.util.function.Supplier;

/**
 * Reloads the configuration and every file it names, whole or not at all: compiles it off the event loop,
 * builds the new upstream adapters, hands the new TLS material to the server ({@code updateSSLOptions} with
 * force, since the file names do not change) and only then swaps the request handler's state. Handshakes are judged
 * under the swapped state's trust ({@link TrustSwitch}), so handshakes and requests change trust in one step on
 * every event loop. On any failure
 * the old state stays, and the failure is logged and counted. Files are watched by content (a hash, not a
 * modification time), so an in-place edit, a rename over a file and a Kubernetes {@code ..data} symlink swap
 * are all seen. Replaced upstream adapters are closed only once the last request running under the replaced
 * state ended, so a reload (a CRL refresh included) never cuts a transfer, however long; a transfer that stalls
 * is cut by the upstream timeouts as always. Settings that only a restart applies (the listener's address and
 * limits, the admin port) are reported, and everything else is applied.
 */
final class Reloader {

    private final Vertx vertx;
    private final ConfigLoader loader;
    private final Path configFile;
    private final Supplier<HttpServer> server;
    private final AtomicReference<GatewayState> state;
    private final GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final TrustSwitch trust;
    private final UpstreamProbe probe;
    private volatile CompiledConfig current;
    /** The configuration the gateway started with: what the listener, admin port and meters were built from. */
    private final GatewayConfig started;
    private volatile String fingerprint;
    private long watchTimer = -1;
    private Future<ReloadResult> last = Future.succeededFuture(new ReloadResult(List.of(), List.of()));
    /** The last reload's facts, for the status page. */
    final LastReload lastReload = new LastReload();

    Reloader(Vertx vertx, ConfigLoader loader, CompiledConfig compiled, Supplier<HttpServer> server, AtomicReference<GatewayState> state,
            GatewayMetrics metrics, AccessLog accessLog, TrustSwitch trust, UpstreamProbe probe) {
        this.vertx = vertx;
        this.loader = loader;
        this.configFile = compiled.config().source();
        this.current = compiled;
        this.started = compiled.config();
        this.server = server;
        this.state = state;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.trust = trust;
        this.probe = probe;
        this.fingerprint = fingerprint(compiled.config(), null);
    }

    /** Checks the files every {@code reload.watchIntervalSeconds} and reloads when their content changed. */
    void watch() {
        if (configFile == null) {
            return;
        }
        long interval = current.config().reload().watchIntervalSeconds() * 1000L;
        watchTimer = vertx.setPeriodic(interval, id -> vertx.executeBlocking(() -> fingerprint(current.config(), null), false)
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

    /** Reloads now; reloads run one after another. */
    synchronized Future<ReloadResult> reload(String trigger) {
        last = last.transform(ignored -> attempt(trigger));
        return last;
    }

    /** A compiled configuration and the fingerprint of the bytes it was compiled from. */
    private record Candidate(CompiledConfig compiled, String fingerprint) {
    }

    private Future<ReloadResult> attempt(String trigger) {
        if (configFile == null) {
            return Future.succeededFuture(failed(trigger, List.of("the configuration was not loaded from a file")));
        }
        return vertx.executeBlocking(() -> {
            // The fingerprint is taken from the configuration bytes that are parsed, and from the files they name
            // before they are compiled: a change landing meanwhile makes the next check reload again, never lost.
            byte[] bytes = read(configFile);
            GatewayConfig config = loader.parse(text(bytes), configFile.toAbsolutePath().normalize());
            String print = fingerprint(config, bytes);
            return new Candidate(CompiledConfig.compile(config, Instant.now()), print);
        }, false).compose(candidate -> apply(candidate, trigger), failure -> Future.succeededFuture(failed(trigger,
                failure instanceof ConfigException e ? e.errors().stream().map(ConfigError::toString).toList()
                        : List.of(String.valueOf(failure.getMessage())))));
    }

    private Future<ReloadResult> apply(Candidate candidate, String trigger) {
        CompiledConfig compiled = candidate.compiled();
        GatewayConfig after = compiled.config();
        // against what runs, not the last reload: a port edited two reloads ago still waits for the restart
        List<String> restartRequired = restartRequired(started, after);
        GatewayState next = Gateway.state(vertx, compiled);
        // the new context advertises the new CAs; handshakes are judged under the new trust from the swap below on,
        // the moment requests are
        trust.advertise(compiled.trust());
        return server.get().updateSSLOptions(Gateway.sslOptions(compiled, trust), true).transform(updated -> {
            if (updated.failed()) {
                trust.advertise(state.get().trust());
                next.upstreams().values().forEach(Upstream::close);
                return Future.succeededFuture(failed(trigger, List.of("the new TLS material was refused: "
                        + updated.cause().getMessage())));
            }
            GatewayState old = state.getAndSet(next);
            current = compiled;
            fingerprint = candidate.fingerprint();
            retire(old);
            probe.reprobe();
            metrics.configLoaded(Instant.now(), true);
            metrics.expiries(Gateway.expiries(compiled.tls()));
            Map<String, Object> entry = entry(trigger, "success");
            entry.put("warnings", compiled.warnings());
            entry.put("restartRequired", restartRequired);
            lastReload.record(entry);
            accessLog.write(entry);
            return Future.succeededFuture(new ReloadResult(List.of(), restartRequired));
        });
    }

    /**
     * The settings that differ between {@code before} and {@code after} and apply only at start: the reload applies
     * everything else (a CRL refresh must not wait for a restart because the port was edited too).
     */
    static List<String> restartRequired(GatewayConfig before, GatewayConfig after) {
        List<String> changed = new ArrayList<>();
        if (!before.server().host().equals(after.server().host())) {
            changed.add("server.host");
        }
        if (before.server().port() != after.server().port()) {
            changed.add("server.port");
        }
        if (before.server().tls().engine() != after.server().tls().engine()) {
            changed.add("server.tls.engine");
        }
        if (before.server().eventLoops() != after.server().eventLoops()) {
            changed.add("server.eventLoops");
        }
        if (before.server().limits().maxHeaderBytes() != after.server().limits().maxHeaderBytes()) {
            changed.add("server.limits.maxHeaderBytes");
        }
        if (before.server().limits().idleTimeoutSeconds() != after.server().limits().idleTimeoutSeconds()) {
            changed.add("server.limits.idleTimeoutSeconds");
        }
        if (!before.admin().equals(after.admin())) {
            changed.add("admin");
        }
        if (!before.reload().equals(after.reload())) {
            changed.add("reload.watchIntervalSeconds");
        }
        if (!before.metrics().equals(after.metrics())) {
            changed.add("metrics.maxPrincipals");
        }
        return changed;
    }

    /**
     * Closes the adapters the new state no longer uses once no request runs under the old state any more (checked
     * every second, so a request that took the old state just before the swap has counted itself in).
     */
    private void retire(GatewayState old) {
        vertx.setPeriodic(1000L, id -> {
            if (old.inFlight().get() == 0) {
                vertx.cancelTimer(id);
                old.upstreams().values().forEach(Upstream::close);
            }
        });
    }

    private ReloadResult failed(String trigger, List<String> errors) {
        metrics.configReloadFailed();
        Map<String, Object> entry = entry(trigger, "failure");
        entry.put("errors", errors);
        lastReload.record(entry);
        accessLog.write(entry);
        return ReloadResult.failure(errors);
    }

    private static byte[] read(Path file) throws ConfigException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", file + ": file not found");
        } catch (IOException e) {
            throw new ConfigException("", file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private String text(byte[] bytes) throws ConfigException {
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException("", configFile + ": cannot be read (not UTF-8)");
        }
    }

    private static Map<String, Object> entry(String trigger, String result) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "config_reload");
        entry.put("time", Instant.now().toString());
        entry.put("trigger", trigger);
        entry.put("result", result);
        return entry;
    }

    /**
     * A hash of the content of the configuration file and every file it names; a missing file counts too.
     *
     * @param configBytes the configuration file's bytes as already read, or null to read them
     */
    static String fingerprint(GatewayConfig config, byte[] configBytes) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : files(config)) {
                digest.update(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try {
                    digest.update(configBytes != null && file.equals(config.source()) ? configBytes : Files.readAllBytes(file));
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
        for (Path p : new Path[] {tls.certFile(), tls.keyFile(), tls.keyStoreFile(), tls.clientCaFile(), tls.intermediateCaFile()}) {
            if (p != null) {
                files.add(p);
            }
        }
        files.addAll(tls.crlFiles());
        if (tls.crlFetch().enabled()) {
            files.addAll(new io.chartgate.tls.CrlCache(tls.crlFetch().cacheDir()).files());
        }
        for (RouteConfig route : config.routes()) {
            if (route.upstream() instanceof HttpUpstreamConfig http && http.caFile() != null) {
                files.add(http.caFile());
            }
            if (route.upstream() instanceof io.chartgate.config.OciUpstreamConfig oci && oci.caFile() != null) {
                files.add(oci.caFile());
            }
            if (route.upstream().provenanceKeyring() != null) {
                files.add(route.upstream().provenanceKeyring());
            }
        }
        return files.stream().filter(Objects::nonNull).toList();
    }
}
