package io.chartgate.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.config.ConfigLoader;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.server.CompiledConfig;
import io.chartgate.server.Gateway;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * The real gateway for integration tests: a configuration file is written, loaded, compiled and started the
 * way {@code chartgate run} does it (port 0), with the access log captured in memory.
 */
public final class GatewayHarness implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final Gateway gateway;
    private final LogSink log;
    private final GatewayMetrics metrics;

    private GatewayHarness(Vertx vertx, Gateway gateway, LogSink log, GatewayMetrics metrics) {
        this.vertx = vertx;
        this.gateway = gateway;
        this.log = log;
        this.metrics = metrics;
    }

    /** Writes {@code yaml} as {@code dir/chartgate.yaml} and starts a gateway from it. */
    public static GatewayHarness start(Path dir, String yaml) {
        try {
            Path file = Files.writeString(dir.resolve("chartgate.yaml"), yaml);
            ConfigLoader loader = new ConfigLoader(Map.of());
            CompiledConfig compiled = CompiledConfig.compile(loader.load(file), Instant.now());
            Vertx vertx = Vertx.vertx();
            LogSink sink = new LogSink();
            GatewayMetrics metrics = new GatewayMetrics(compiled.config().metrics().maxPrincipals());
            Gateway gateway = Gateway.start(vertx, loader, compiled, new AccessLog(sink), metrics).await(30, TimeUnit.SECONDS);
            return new GatewayHarness(vertx, gateway, sink, metrics);
        } catch (Exception e) {
            throw new IllegalStateException("the gateway did not start: " + e.getMessage(), e);
        }
    }

    /** Reloads now, as SIGHUP does: the errors of a failed reload, or none. */
    public List<String> reload() {
        return reloadResult().errors();
    }

    /** Reloads now, as SIGHUP does: its errors, and the changed settings that wait for a restart. */
    public io.chartgate.admin.ReloadResult reloadResult() {
        try {
            return gateway.reload("test").await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the reload did not finish", e);
        }
    }

    /** Connections accepted by each event loop's server so far. */
    public List<Long> connectionsPerLoop() {
        return gateway.connectionsPerLoop();
    }

    public int port() {
        return gateway.port();
    }

    public int adminPort() {
        return gateway.adminPort();
    }

    /** {@code https://localhost:PORT} + path. */
    public String url(String path) {
        return "https://localhost:" + port() + path;
    }

    /** The index step's cache in force now: what it holds, for tests of its bounds. */
    public io.chartgate.helm.IndexCache indexCache() {
        return gateway.state().index().cache();
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Every access-log line so far, parsed. */
    public List<Map<String, Object>> log() {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (String line : log.lines) {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> entry = JSON.readValue(line, Map.class);
                entries.add(entry);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + line, e);
            }
        }
        return entries;
    }

    /** Waits (the log is written by a background thread) for a line that matches. */
    public Map<String, Object> awaitLog(Predicate<Map<String, Object>> match) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (Map<String, Object> entry : log()) {
                if (match.test(entry)) {
                    return entry;
                }
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        throw new AssertionError("no access-log line matched; lines: " + log.lines);
    }

    /** Waits for the request line with this X-Request-Id. */
    public Map<String, Object> awaitRequest(String requestId) {
        return awaitLog(e -> requestId.equals(e.get("requestId")));
    }

    @Override
    public void close() {
        try {
            gateway.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the test already has its verdict; the vertx close below releases what is left
        }
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("vert.x did not stop", e);
        }
    }

    /** Collects what the access log writes, line by line. */
    private static final class LogSink extends OutputStream {
        final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        private final ByteArrayOutputStream current = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.add(current.toString(StandardCharsets.UTF_8));
                current.reset();
            } else {
                current.write(b);
            }
        }
    }
}
