package io.chartgate.config;

/** What to do with a CRL whose {@code nextUpdate} has passed: refuse what it covers (fail closed) or warn. */
public enum CrlStale {
    REJECT,
    WARN
}
