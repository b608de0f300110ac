package io.chartgate.config;

/** Whether the TLS server demands a client certificate ({@code required}) or lets anonymous clients in. */
public enum ClientAuth {
    REQUIRED,
    OPTIONAL
}
