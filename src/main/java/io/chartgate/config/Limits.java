package io.chartgate.config;

/**
 * Limits of the TLS server; every value is positive. {@code maxIndexBytes} bounds an upstream index.yaml the
 * gateway reads (decompressed; a larger one gets 502), {@code indexCacheBytes} all the memory the index step
 * holds (cached indexes, their views, and indexes being fetched; past it 503), and a cached index is asked
 * for again upstream at most every {@code indexRevalidateMillis}.
 *
 * <p>The defaults fit the Helm chart's 512 MiB container: 32 MiB for one index (a 10,000-version index is
 * about 7.5 MB) and 96 MiB for the whole index step.
 */
public record Limits(long maxBodyBytes, int idleTimeoutSeconds, int maxHeaderBytes, long maxIndexBytes,
        long indexCacheBytes, int indexRevalidateMillis) {

    public static final Limits DEFAULTS = new Limits(1L << 30, 60, 16384, 32L << 20, 96L << 20, 1000);
}
