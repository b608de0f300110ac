package io.chartgate.server;

import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * Asks every upstream for any HTTP answer, every five seconds, for {@code /readyz}: an upstream is up when it
 * answers at all within its connect timeout (a 404 or 401 counts; it is alive).
 */
final class UpstreamProbe {

    static final long INTERVAL_MS = 5000;

    private final Vertx vertx;
    private final WebClient client;
    private final Map<String, String> down = new ConcurrentHashMap<>();
    /** Clients for https upstreams with their own CA, so the probe trusts what the adapter trusts. */
    private final Map<String, WebClient> privateCaClients = new ConcurrentHashMap<>();
    private volatile boolean probed;
    private long timer = -1;

    UpstreamProbe(Vertx vertx) {
        this.vertx = vertx;
        this.client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    }

    private volatile Iterable<RouteConfig> routes = java.util.List.of();

    void start(Iterable<RouteConfig> routes) {
        this.routes = routes;
        probe(routes);
        timer = vertx.setPeriodic(INTERVAL_MS, id -> probe(this.routes));
    }

    /** The routes after a reload: probed from now on, and readiness waits for their first answers. */
    void routes(Iterable<RouteConfig> routes) {
        this.routes = routes;
        down.clear();
        probe(routes);
    }

    /** Null when every upstream answered the last probe, else which did not. */
    String notReady() {
        if (!probed) {
            return "upstreams not probed yet";
        }
        return down.isEmpty() ? null : "upstream not answering: " + String.join(", ", down.keySet().stream().sorted().toList());
    }

    private void probe(Iterable<RouteConfig> routes) {
        List<Future<?>> all = new ArrayList<>();
        for (RouteConfig route : routes) {
            all.add(probe(route).andThen(ar -> {
                if (ar.succeeded()) {
                    down.remove(route.name());
                } else {
                    down.put(route.name(), String.valueOf(ar.cause().getMessage()));
                }
            }));
        }
        Future.join(all).onComplete(ar -> probed = true);
    }

    private Future<?> probe(RouteConfig route) {
        if (route.upstream() instanceof HttpUpstreamConfig http) {
            WebClient web = http.caFile() == null ? client : privateCaClients.computeIfAbsent(route.name(), name ->
                    WebClient.create(vertx, new WebClientOptions().setKeepAlive(false)
                            .setTrustOptions(new PemTrustOptions().addCertPath(http.caFile().toString()))));
            return web.requestAbs(HttpMethod.HEAD, http.url().toString())
                    .connectTimeout(http.connectTimeoutMs())
                    .timeout(http.connectTimeoutMs())
                    .send();
        }
        if (route.upstream() instanceof FileUpstreamConfig file) {
            return vertx.executeBlocking(() -> {
                if (!Files.isDirectory(file.dir())) {
                    throw new IllegalStateException(file.dir() + " is not a directory");
                }
                return null;
            });
        }
        return Future.failedFuture("no probe for " + route.upstream().type() + " upstreams");
    }

    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        client.close();
        privateCaClients.values().forEach(WebClient::close);
    }
}
