package io.chartgate.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Path;
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
 * @param spooledBody the client's body, already read whole into this temporary file (a provenance check did),
 *     which the adapter sends instead of reading the request; null for a body still to be read (or none)
 * @param registryScopes for an OCI registry, the token scopes the request needs
 *     ({@code repository:charts/demo:pull}); empty elsewhere
 */
public record UpstreamRequest(HttpServerRequest request, String path, String target, MultiMap headers, long maxBodyBytes,
        LongConsumer bytesIn, Path spooledBody, java.util.List<String> registryScopes) {

    public UpstreamRequest {
        registryScopes = java.util.List.copyOf(registryScopes);
    }

    public UpstreamRequest(HttpServerRequest request, String path, String target, MultiMap headers, long maxBodyBytes,
            LongConsumer bytesIn) {
        this(request, path, target, headers, maxBodyBytes, bytesIn, null, java.util.List.of());
    }

    public UpstreamRequest(HttpServerRequest request, String path, String target, MultiMap headers, long maxBodyBytes,
            LongConsumer bytesIn, Path spooledBody) {
        this(request, path, target, headers, maxBodyBytes, bytesIn, spooledBody, java.util.List.of());
    }

    /** The same request with its body read into {@code file}. */
    public UpstreamRequest withSpooledBody(Path file) {
        return new UpstreamRequest(request, path, target, headers, maxBodyBytes, bytesIn, file, registryScopes);
    }

    /** The same request with the token scopes an OCI registry will want for it. */
    public UpstreamRequest withRegistryScopes(java.util.List<String> scopes) {
        return new UpstreamRequest(request, path, target, headers, maxBodyBytes, bytesIn, spooledBody, scopes);
    }
}
