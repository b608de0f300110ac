package io.chartgate.config;

import java.net.URI;
import java.util.List;

/**
 * The client-facing TLS server. {@code publicUrl} may be null (then derived from the request's Host);
 * {@code shutdownGraceSeconds} bounds how long in-flight requests may finish on SIGTERM.
 */
public record ServerConfig(
        String host,
        int port,
        URI publicUrl,
        TlsConfig tls,
        Limits limits,
        ForwardClientCert forwardClientCert,
        List<Cidr> trustedProxies,
        int shutdownGraceSeconds,
        int eventLoops) {

    public ServerConfig {
        trustedProxies = List.copyOf(trustedProxies);
    }

    /** The default of {@code eventLoops}: one per core the process may use. */
    public static int defaultEventLoops() {
        return Runtime.getRuntime().availableProcessors();
    }
}
