package io.chartgate.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The server's TLS material and client-certificate rules. The server key comes either from
 * {@code certFile} + {@code keyFile} (PEM) or from {@code keyStoreFile} (PKCS#12); exactly one is set.
 * {@code clientCaFile} holds the trust anchors; the optional {@code intermediateCaFile} holds intermediates chains
 * may pass through, never trusted for themselves. Paths are absolute (resolved against the configuration file's
 * directory).
 */
public record TlsConfig(
        Path certFile,
        Path keyFile,
        Secret keyPassword,
        Path keyStoreFile,
        Secret keyStorePassword,
        Path clientCaFile,
        Path intermediateCaFile,
        ClientAuth clientAuth,
        List<Path> crlFiles,
        CrlStale crlStale,
        List<String> protocols) {

    public static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public TlsConfig {
        crlFiles = List.copyOf(crlFiles);
        protocols = List.copyOf(protocols);
    }
}
