package io.chartgate.config;

/** How the verified client certificate is passed to the upstream. */
public enum ForwardClientCert {
    /** Envoy's {@code X-Forwarded-Client-Cert}. */
    XFCC,
    /** RFC 9440 {@code Client-Cert}. */
    RFC9440,
    BOTH,
    NONE
}
