package io.chartgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's meters in a Prometheus registry, named as {@link MetricNames} says. Label values come from
 * the configuration (route names) or fixed vocabularies (access, decision, result, kind), never raw client
 * input; the principal label is capped by {@code metrics.maxPrincipals}.
 */
public final class GatewayMetrics {

    /** The certificate kinds of {@code chartgate_cert_expiry_timestamp_seconds}. */
    public enum CertKind {
        SERVER("server"),
        CLIENT_CA("client_ca"),
        CRL_NEXT_UPDATE("crl_next_update");

        private final String label;

        CertKind(String label) {
            this.label = label;
        }
    }

    /** One expiry to export: which kind, whose (subject DN) and when. */
    public record Expiry(CertKind kind, String subject, Instant at) {
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final PrincipalLabels principals;
    private final Map<Tags, AtomicLong> certExpiry = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> clientExpiry = new ConcurrentHashMap<>();
    private final AtomicLong lastReloadSuccess = new AtomicLong();
    /** Bounded: routes, access, decision and status are small vocabularies, principals are capped. */
    private final Map<RequestKey, RequestMeters> requestMeters = new ConcurrentHashMap<>();
    private final Map<String, Timer> upstreamDurations = new ConcurrentHashMap<>();
    /** The recent principals and denials, for the status page. */
    private final RecentActivity recent = new RecentActivity();
    /** The expiries of the TLS material in force (the gauges also keep those a reload dropped). */
    private volatile List<Expiry> currentExpiries = List.of();

    private final Map<String, AtomicLong> crlFetches = new ConcurrentHashMap<>();

    public GatewayMetrics(int maxPrincipals) {
        this.principals = new PrincipalLabels(maxPrincipals);
        // two of Micrometer's process meters break Prometheus naming rules (promtool check metrics refuses them)
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("system.cpu.count")
                || id.getName().equals("process.cpu.time")));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder(MetricNames.ACTIVE_CONNECTIONS, activeConnections, AtomicInteger::get)
                .description("Open client connections").register(registry);
        Gauge.builder(MetricNames.CONFIG_LAST_RELOAD_SUCCESS, lastReloadSuccess, AtomicLong::get)
                .description("When the configuration in force was loaded (Unix seconds)").register(registry);
        for (String result : List.of("success", "failure")) {
            reloads(result);
        }
        // every handshake result is exported from the start, so rate() and alerts see a zero, not a gap
        for (HandshakeResult result : HandshakeResult.values()) {
            handshakes(result);
        }
    }

    /** One finished request; {@code access} is read, write or none. */
    public void request(String route, String access, RequestOutcome decision, int status, Duration duration, String principal,
            long bytesIn, long bytesOut) {
        RequestMeters meters = requestMeters.computeIfAbsent(
                new RequestKey(route, access, decision, status, principal == null ? null : principals.label(principal)),
                this::requestMeters);
        meters.requests().increment();
        meters.duration().record(duration);
        meters.bytesReceived().increment(bytesIn);
        meters.bytesSent().increment(bytesOut);
        if (meters.principalRequests() != null) {
            meters.principalRequests().increment();
        }
    }

    /** The labels of one finished request; {@code principal} is already the capped label, or null. */
    private record RequestKey(String route, String access, RequestOutcome decision, int status, String principal) {
    }

    /** The meters one kind of request updates, looked up once instead of being built and registered per request. */
    private record RequestMeters(Counter requests, Timer duration, Counter bytesReceived, Counter bytesSent,
                                 Counter principalRequests) {
    }

    private RequestMeters requestMeters(RequestKey key) {
        return new RequestMeters(
                Counter.builder(MetricNames.REQUESTS)
                        .description("Requests by route, access, decision and status")
                        .tags(MetricNames.ROUTE, key.route(), MetricNames.ACCESS, key.access(),
                                MetricNames.DECISION, key.decision().label(), MetricNames.STATUS, Integer.toString(key.status()))
                        .register(registry),
                Timer.builder(MetricNames.REQUEST_DURATION)
                        .description("From the request's arrival to the end of the response")
                        .tags(MetricNames.ROUTE, key.route(), MetricNames.ACCESS, key.access())
                        .publishPercentileHistogram()
                        .register(registry),
                Counter.builder(MetricNames.BYTES_RECEIVED).description("Request body bytes received from clients")
                        .tag(MetricNames.ROUTE, key.route()).register(registry),
                Counter.builder(MetricNames.BYTES_SENT).description("Response bytes sent to clients")
                        .tag(MetricNames.ROUTE, key.route()).register(registry),
                key.principal() == null ? null : Counter.builder(MetricNames.PRINCIPAL_REQUESTS)
                        .description("Requests by client principal (CN), capped at metrics.maxPrincipals")
                        .tags(MetricNames.PRINCIPAL, key.principal(), MetricNames.ACCESS, key.access(),
                                MetricNames.DECISION, key.decision().label())
                        .register(registry));
    }

    /** Time until the upstream's response headers arrived. */
    public void upstream(String route, Duration duration) {
        upstreamDurations.computeIfAbsent(route, r -> Timer.builder(MetricNames.UPSTREAM_DURATION)
                        .description("From sending to an upstream to its response headers")
                        .tag(MetricNames.ROUTE, r)
                        .publishPercentileHistogram()
                        .register(registry))
                .record(duration);
    }

    /** An upstream failure. */
    public void upstreamError(String route, UpstreamFailure kind) {
        Counter.builder(MetricNames.UPSTREAM_ERRORS)
                .description("Upstream failures by kind")
                .tags(MetricNames.ROUTE, route, MetricNames.KIND, kind.label())
                .register(registry)
                .increment();
    }

    /** One TLS handshake: ok, no_certificate, unknown_ca, expired, not_yet_valid, revoked, protocol or other. */
    public void handshake(HandshakeResult result) {
        handshakes(result).increment();
    }

    private Counter handshakes(HandshakeResult result) {
        return Counter.builder(MetricNames.TLS_HANDSHAKES)
                .description("TLS handshakes by result")
                .tag(MetricNames.RESULT, result.label())
                .register(registry);
    }

    private Counter reloads(String result) {
        return Counter.builder(MetricNames.CONFIG_RELOADS)
                .description("Configuration reloads by result")
                .tag(MetricNames.RESULT, result)
                .register(registry);
    }

    /** The configuration in force was loaded (at start-up, or by a reload). */
    public void configLoaded(Instant at, boolean reload) {
        lastReloadSuccess.set(at.getEpochSecond());
        if (reload) {
            reloads("success").increment();
        }
    }

    /** A reload failed; the configuration in force stays. */
    public void configReloadFailed() {
        reloads("failure").increment();
    }

    /** When the server certificate, each trusted CA and each CRL's nextUpdate run out. */
    public void expiries(List<Expiry> expiries) {
        currentExpiries = List.copyOf(expiries);
        for (Expiry e : expiries) {
            Tags tags = Tags.of(MetricNames.KIND, e.kind().label, MetricNames.SUBJECT, e.subject());
            certExpiry.computeIfAbsent(tags, t -> {
                AtomicLong value = new AtomicLong();
                Gauge.builder(MetricNames.CERT_EXPIRY, value, AtomicLong::get)
                        .description("When a certificate expires or a CRL's nextUpdate passes (Unix seconds)")
                        .tags(t).register(registry);
                return value;
            }).set(e.at().getEpochSecond());
        }
    }

    /** A CRL was fetched (or found unchanged) from a distribution point of {@code ca} at {@code at}. */
    public void crlFetched(String ca, Instant at) {
        crlFetchFailures(ca);
        crlFetches.computeIfAbsent(ca, c -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(MetricNames.CRL_FETCH_LAST_SUCCESS, value, AtomicLong::get)
                    .description("When a CRL of this CA was last fetched from its distribution point (Unix seconds)")
                    .tag(MetricNames.CA, c).register(registry);
            return value;
        }).set(at.getEpochSecond());
    }

    /** Fetching a CRL of {@code ca} failed (unreachable, an error status, a CRL that does not verify). */
    public void crlFetchFailed(String ca) {
        crlFetchFailures(ca).increment();
    }

    private Counter crlFetchFailures(String ca) {
        return Counter.builder(MetricNames.CRL_FETCH_FAILURES)
                .description("Failed CRL fetches from the CAs' distribution points")
                .tag(MetricNames.CA, ca)
                .register(registry);
    }

    /** A client certificate seen on a request: its principal's expiry (bounded like the principal label). */
    public void clientCertificate(String principal, Instant notAfter) {
        String label = principals.label(principal);
        if (label.equals(MetricNames.OTHER)) {
            return;
        }
        clientExpiry.computeIfAbsent(label, p -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(MetricNames.CLIENT_CERT_EXPIRY, value, AtomicLong::get)
                    .description("When the last seen client certificate of a principal expires (Unix seconds)")
                    .tag(MetricNames.PRINCIPAL, p).register(registry);
            return value;
        }).set(notAfter.getEpochSecond());
    }

    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    /** The expiries last exported: those of the TLS material in force. */
    public List<Expiry> expiries() {
        return currentExpiries;
    }

    /** The recent principals and denials the request handler records, for the status page. */
    public RecentActivity recent() {
        return recent;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
