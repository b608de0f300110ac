package io.chartgate.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The server's TLS material and client-certificate rules. The server key comes either from
 * {@code certFile} + {@code keyFile} (PEM) or from {@code keyStoreFile} (PKCS#12); exactly one is set.
 * {@code clientCaFile} holds the trust anchors; the optional {@code intermediateCaFile} holds intermediates chains
 * may pass through, never trusted for themselves. Paths are absolute (resolved against the configuration file's
 * directory). {@code engine} is the TLS implementation asked for; it is chosen once per process (a native library
 * cannot be unloaded), so a reload that changes it needs a restart.
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
        List<String> protocols,
        CrlFetch crlFetch,
        TlsEngine engine) {

    public static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public TlsConfig {
        crlFiles = List.copyOf(crlFiles);
        protocols = List.copyOf(protocols);
    }

    /** A configuration with the files and rules given, CRL fetching off and the default engine (tests, tools). */
    public TlsConfig(Path certFile, Path keyFile, Secret keyPassword, Path keyStoreFile, Secret keyStorePassword,
            Path clientCaFile, Path intermediateCaFile, ClientAuth clientAuth, List<Path> crlFiles, CrlStale crlStale,
            List<String> protocols) {
        this(certFile, keyFile, keyPassword, keyStoreFile, keyStorePassword, clientCaFile, intermediateCaFile, clientAuth,
                crlFiles, crlStale, protocols, CrlFetch.OFF, TlsEngine.DEFAULT);
    }

    /**
     * {@code crlFetch}: CRLs fetched from the {@code http://} distribution points that the trusted CAs' certificates
     * and the client certificates they issued name, kept in {@code cacheDir} (so a restart without network still
     * has them) and fetched again every {@code intervalSeconds} and before their {@code nextUpdate}.
     */
    public record CrlFetch(boolean enabled, int intervalSeconds, Path cacheDir) {

        public static final CrlFetch OFF = new CrlFetch(false, 3600, null);
    }
}
