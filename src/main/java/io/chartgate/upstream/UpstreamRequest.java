package io.chartgate.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.LongConsumer;

/**
 * An allowed request, ready for its upstream.
 *
 * @param request the client's request, paused, its body unread
 * @param path the canonical path below the route prefix, decoded ({@code /a/b c.tgz})
 * @param target the path below the route prefix, percent-encoded, plus the query as sent ({@code /a/b.tgz?x=1})
 * @param headers what the upstream may see (hop-by-hop and spoofable headers gone, forwarding headers set)
 * @param maxBodyBytes the body limit; crossing it fails the exchange with {@link UpstreamException.Kind#TOO_LARGE}
 * @param bytesIn told of every body byte read from the client
 */
public record UpstreamRequest(HttpServerRequest request, String path, String target, MultiMap headers, long maxBodyBytes,
        LongConsumer bytesIn) {
}
