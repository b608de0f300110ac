package io.chartgate.config;

/**
 * Limits of the TLS server; every value is positive. {@code maxIndexBytes} bounds an upstream index.yaml the
 * gateway rewrites (a larger one gets 502), {@code indexCacheBytes} the rewritten indexes kept.
 */
public record Limits(long maxBodyBytes, int idleTimeoutSeconds, int maxHeaderBytes, long maxIndexBytes,
        long indexCacheBytes) {

    public static final Limits DEFAULTS = new Limits(1L << 30, 60, 16384, 128L << 20, 256L << 20);
}
