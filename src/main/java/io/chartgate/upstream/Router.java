package io.chartgate.upstream;

import io.chartgate.config.RouteConfig;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Picks the route whose prefix is the longest that matches the path on a segment boundary. */
public final class Router {

    private final List<RouteConfig> routes;

    public Router(List<RouteConfig> routes) {
        this.routes = routes.stream()
                .sorted(Comparator.comparingInt((RouteConfig r) -> r.prefix().length()).reversed())
                .toList();
    }

    /** For a canonical path: {@code /s3} matches {@code /s3} and {@code /s3/x}, never {@code /s3x}; {@code /} matches everything. */
    public Optional<RouteConfig> route(String p) {
        for (RouteConfig r : routes) {
            String prefix = r.prefix();
            if (prefix.equals("/") || p.equals(prefix) || p.startsWith(prefix + "/")) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** The path below the route's prefix, always starting with '/' ({@code /s3/a/b} under {@code /s3} is {@code /a/b}). */
    public static String remainder(RouteConfig route, String path) {
        if (route.prefix().equals("/")) {
            return path;
        }
        String rest = path.substring(route.prefix().length());
        return rest.isEmpty() ? "/" : rest;
    }
}
