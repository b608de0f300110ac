package io.chartgate.config;

import java.util.List;

/**
 * The TLS implementation the server runs on ({@code server.tls.engine}): BoringSSL (statically linked into
 * netty-tcnative), the system's OpenSSL 3 (netty-tcnative's dynamic build), or the JDK's own engine. One that cannot
 * load falls back to the next in {@link #fallbacks()}.
 */
public enum TlsEngine {
    BORINGSSL,
    OPENSSL,
    JDK;

    /** Chosen from load-tests/RESULTS.md's handshake rows: see the README's TLS engine section. */
    public static final TlsEngine DEFAULT = BORINGSSL;

    /** This engine, then the ones tried when it does not load, in order: openssl, boringssl, jdk. */
    public List<TlsEngine> fallbacks() {
        switch (this) {
            case OPENSSL:
                return List.of(OPENSSL, BORINGSSL, JDK);
            case BORINGSSL:
                return List.of(BORINGSSL, JDK);
            default:
                return List.of(JDK);
        }
    }

    /** The name as the configuration spells it. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
