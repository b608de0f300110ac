package io.chartgate.metrics;

import java.util.Locale;

/** The {@code result} label of {@code chartgate_tls_handshakes_total}: every value it may take. */
public enum HandshakeResult {
    OK,
    /** The client sent no certificate where one is required. */
    NO_CERTIFICATE,
    /** The certificate does not chain to a configured CA. */
    UNKNOWN_CA,
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    /** No common protocol version or cipher. */
    PROTOCOL,
    /** Anything else, a stale CRL under {@code crlStale: reject} included. */
    OTHER;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The label value, as the dashboard and the alert rules spell it. */
    public String label() {
        return label;
    }
}
