package io.chartgate.metrics;

/**
 * The metric names and tag keys: a contract with the dashboard, the alert rules and the Helm chart.
 * Micrometer names; the Prometheus registry renders them as {@code chartgate_requests_total} and so on
 * (counters get {@code _total}, timers {@code _seconds} with {@code _bucket} series).
 */
public final class MetricNames {

    public static final String REQUESTS = "chartgate.requests";
    public static final String REQUEST_DURATION = "chartgate.request.duration";
    public static final String UPSTREAM_DURATION = "chartgate.upstream.duration";
    public static final String UPSTREAM_ERRORS = "chartgate.upstream.errors";
    public static final String BYTES_RECEIVED = "chartgate.bytes.received";
    public static final String BYTES_SENT = "chartgate.bytes.sent";
    public static final String TLS_HANDSHAKES = "chartgate.tls.handshakes";
    public static final String ACTIVE_CONNECTIONS = "chartgate.active.connections";
    public static final String CERT_EXPIRY = "chartgate.cert.expiry.timestamp.seconds";
    public static final String CLIENT_CERT_EXPIRY = "chartgate.client.cert.expiry.timestamp.seconds";
    public static final String CONFIG_RELOADS = "chartgate.config.reloads";
    public static final String CONFIG_LAST_RELOAD_SUCCESS = "chartgate.config.last.reload.success.timestamp.seconds";
    public static final String PRINCIPAL_REQUESTS = "chartgate.principal.requests";
    public static final String CRL_FETCH_LAST_SUCCESS = "chartgate.crl.fetch.last.success.timestamp.seconds";
    public static final String CRL_FETCH_FAILURES = "chartgate.crl.fetch.failures";

    public static final String ROUTE = "route";
    public static final String ACCESS = "access";
    public static final String DECISION = "decision";
    public static final String STATUS = "status";
    public static final String RESULT = "result";
    public static final String KIND = "kind";
    public static final String SUBJECT = "subject";
    public static final String PRINCIPAL = "principal";
    /** The CA a fetched CRL is (expected to be) issued by, as its subject DN. */
    public static final String CA = "ca";

    /** The route and access label value of a request refused before routing. */
    public static final String NONE = "none";
    /** The principal label value once {@code metrics.maxPrincipals} distinct principals have been seen. */
    public static final String OTHER = "other";

    private MetricNames() {
    }
}
