package io.chartgate.metrics;

import java.util.Locale;

/** The {@code kind} label of {@code chartgate_upstream_errors_total}: every way an upstream is counted as failing. */
public enum UpstreamFailure {
    /** No connection could be made. */
    CONNECT,
    /** No response headers within {@code responseTimeoutMs}, or an index file that stopped coming. */
    TIMEOUT,
    /** The connection broke before the response was complete. */
    RESET,
    /** The upstream answered with a 5xx status. */
    STATUS_5XX;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The label value, as the dashboard and the alert rules spell it. */
    public String label() {
        return label;
    }
}
