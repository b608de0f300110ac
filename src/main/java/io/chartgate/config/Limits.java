package io.chartgate.config;

/**
 * Limits of the TLS server; every value is positive. {@code maxIndexBytes} bounds an upstream index.yaml the
 * gateway rewrites (a larger one gets 502), {@code indexCacheBytes} the rewritten indexes kept.
 * {@code upstreamReceiveBufferBytes} is the socket receive buffer of upstream connections, 0 for the kernel's
 * own sizing: it bounds how much one read takes from an upstream, so what a download to a slow client holds in
 * the gateway's direct memory (about 2 MiB per download with the kernel's sizing, under 1 MiB with 256 KiB).
 */
public record Limits(long maxBodyBytes, int idleTimeoutSeconds, int maxHeaderBytes, long maxIndexBytes,
        long indexCacheBytes, int upstreamReceiveBufferBytes) {

    public static final Limits DEFAULTS = new Limits(1L << 30, 60, 16384, 128L << 20, 256L << 20, 256 << 10);
}
