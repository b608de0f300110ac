package io.chartgate.metrics;

/**
 * The metric names and tag keys: a contract with the dashboard, the alert rules and the Helm chart.
 * Micrometer names; the Prometheus registry renders them as {@code chartgate_requests_total} and so on.
 */
public final class MetricNames {

    public static final String REQUESTS = "chartgate.requests";
    public static final String REQUEST_DURATION = "chartgate.request.duration";
    public static final String TLS_HANDSHAKES = "chartgate.tls.handshakes";
    public static final String ACTIVE_CONNECTIONS = "chartgate.active.connections";

    public static final String ROUTE = "route";
    public static final String ACCESS = "access";
    public static final String DECISION = "decision";
    public static final String STATUS = "status";
    public static final String RESULT = "result";

    /** The route and access label value of a request refused before routing. */
    public static final String NONE = "none";

    private MetricNames() {
    }
}
