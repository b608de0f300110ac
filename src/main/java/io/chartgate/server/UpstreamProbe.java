package io.chartgate.server;

import io.chartgate.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Asks every upstream adapter in force whether it is ready ({@link Upstream#probe}), every five seconds, for
 * {@code /readyz}: an http upstream when it answers at all within its connect timeout, an s3 one when a signed
 * HeadBucket succeeds, a file one when its directory is there.
 */
final class UpstreamProbe {

    static final long INTERVAL_MS = 5000;

    private final Vertx vertx;
    private final Supplier<Map<String, Upstream>> upstreams;
    private final Map<String, String> down = new ConcurrentHashMap<>();
    /** Each route's last probe answer, for the status page. */
    private final Map<String, Result> last = new ConcurrentHashMap<>();
    private volatile boolean probed;
    private long timer = -1;

    /** One route's last probe: when it answered, and why it was not ready (null when it was). */
    record Result(Instant at, String error) {
    }

    /** @param upstreams the adapters in force, by route name (a reload swaps them) */
    UpstreamProbe(Vertx vertx, Supplier<Map<String, Upstream>> upstreams) {
        this.vertx = vertx;
        this.upstreams = upstreams;
    }

    void start() {
        probe();
        timer = vertx.setPeriodic(INTERVAL_MS, id -> probe());
    }

    /** After a reload: the new adapters are probed at once, and readiness waits for their first answers. */
    void reprobe() {
        probed = false;
        down.clear();
        last.clear();
        probe();
    }

    /** Null when every upstream was ready at the last probe, else which were not and why. */
    String notReady() {
        if (!probed) {
            return "upstreams not probed yet";
        }
        if (down.isEmpty()) {
            return null;
        }
        List<String> reasons = new ArrayList<>();
        down.keySet().stream().sorted().forEach(route -> reasons.add(route + " (" + down.get(route) + ")"));
        return "upstream not answering: " + String.join(", ", reasons);
    }

    private void probe() {
        List<Future<?>> all = new ArrayList<>();
        Map<String, Upstream> current = upstreams.get();
        down.keySet().retainAll(current.keySet());
        last.keySet().retainAll(current.keySet());
        current.forEach((route, upstream) -> all.add(probeOne(upstream).andThen(ar -> {
            last.put(route, new Result(Instant.now(), ar.succeeded() ? null : String.valueOf(ar.cause().getMessage())));
            if (ar.succeeded()) {
                down.remove(route);
            } else {
                down.put(route, String.valueOf(ar.cause().getMessage()));
            }
        })));
        Future.join(all).onComplete(ar -> probed = true);
    }

    /** Each route's last probe answer; a route not probed yet (since start or the last reload) is absent. */
    Map<String, Result> results() {
        return Map.copyOf(last);
    }

    private static Future<Void> probeOne(Upstream upstream) {
        try {
            return upstream.probe();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
