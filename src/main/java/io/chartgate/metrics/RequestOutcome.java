package io.chartgate.metrics;

import java.util.Locale;

/** The {@code decision} label of {@code chartgate_requests_total} and the access log's {@code decision} field. */
public enum RequestOutcome {
    /** The policy allowed it. */
    ALLOWED,
    /** The policy denied it. */
    DENIED,
    /** Refused before the policy ran: no route, a bad path or framing, no or a refused certificate. */
    REJECTED;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The label value, as the dashboard and the alert rules spell it. */
    public String label() {
        return label;
    }
}
