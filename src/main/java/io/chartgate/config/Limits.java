package io.chartgate.config;

/** Request limits of the TLS server; every value is positive. */
public record Limits(long maxBodyBytes, int idleTimeoutSeconds, int maxHeaderBytes) {

    public static final Limits DEFAULTS = new Limits(1L << 30, 60, 16384);
}
