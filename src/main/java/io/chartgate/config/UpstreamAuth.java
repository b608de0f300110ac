package io.chartgate.config;

/** Credentials the gateway adds to upstream requests; clients never see them. */
public sealed interface UpstreamAuth {

    /** HTTP basic authentication. */
    record Basic(String username, Secret password) implements UpstreamAuth {
    }

    /** A bearer token. */
    record Bearer(Secret token) implements UpstreamAuth {
    }
}
