package io.chartgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's meters in a Prometheus registry. Label values come from the configuration (route names) or
 * fixed vocabularies (access, decision, result), never from raw client input.
 */
public final class GatewayMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger activeConnections = new AtomicInteger();

    public GatewayMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        registry.gauge(MetricNames.ACTIVE_CONNECTIONS, activeConnections);
    }

    /** One finished request; {@code access} is read, write or none; {@code decision} allowed, denied or rejected. */
    public void request(String route, String access, String decision, int status, Duration duration) {
        Counter.builder(MetricNames.REQUESTS)
                .description("Requests by route, access, decision and status")
                .tags(MetricNames.ROUTE, route, MetricNames.ACCESS, access, MetricNames.DECISION, decision,
                        MetricNames.STATUS, Integer.toString(status))
                .register(registry)
                .increment();
        Timer.builder(MetricNames.REQUEST_DURATION)
                .description("Request duration from the first byte of the request to the last of the response")
                .tags(MetricNames.ROUTE, route, MetricNames.ACCESS, access)
                .publishPercentileHistogram()
                .register(registry)
                .record(duration);
    }

    /** One TLS handshake: ok, no_certificate, unknown_ca, expired, not_yet_valid, revoked, protocol or other. */
    public void handshake(String result) {
        Counter.builder(MetricNames.TLS_HANDSHAKES)
                .description("TLS handshakes by result")
                .tag(MetricNames.RESULT, result)
                .register(registry)
                .increment();
    }

    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
