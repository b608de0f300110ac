package io.chartgate.upstream;

import io.vertx.core.Future;
import java.util.List;

/**
 * Where allowed requests go. An adapter streams the request on and the answer back. Its future fails with an
 * {@link UpstreamException} when the gateway should answer with an error instead (nothing was sent to the
 * client yet); a failure after the response started is handled by closing the client's connection, so a
 * truncated body is never presented as complete.
 */
public interface Upstream extends AutoCloseable {

    Future<Void> forward(UpstreamRequest request);

    /**
     * Fetches an index file for the index step. Fails with an {@link UpstreamException} (unreachable, timed out,
     * over {@code maxBytes}, or over the budget); every other upstream answer is a result.
     */
    Future<IndexFetch> fetchIndex(IndexFetch.Request request);

    /**
     * Absolute URL prefixes the upstream's own chart URLs start with ({@code http://cm:8080/}, {@code s3://bucket/}),
     * which the index step points at the gateway; a route's {@code indexUrlPrefixes} come on top.
     */
    default List<String> indexBases() {
        return List.of();
    }

    /**
     * Whether the upstream is ready for requests, asked the way its kind needs (a HEAD of an http URL, a signed
     * HeadBucket, the directory's presence); fails with the reason it is not. Every adapter must say.
     */
    Future<Void> probe();

    /** Releases connections and pools. */
    @Override
    void close();
}
