package io.chartgate.config;

/** One route: requests under {@code prefix} (on a segment boundary) go to {@code upstream}. */
public record RouteConfig(String name, String prefix, UpstreamConfig upstream) {
}
