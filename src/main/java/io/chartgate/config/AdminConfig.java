package io.chartgate.config;

/** The plain-HTTP admin server (metrics, health, readiness, reload); loopback by default. */
public record AdminConfig(String host, int port) {

    public static final AdminConfig DEFAULTS = new AdminConfig("127.0.0.1", 9090);
}
