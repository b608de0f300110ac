package io.chartgate.upstream;

import io.vertx.core.Future;

/**
 * Where allowed requests go. An adapter streams the request on and the answer back. Its future fails with an
 * {@link UpstreamException} when the gateway should answer with an error instead (nothing was sent to the
 * client yet); a failure after the response started is handled by closing the client's connection, so a
 * truncated body is never presented as complete.
 */
public interface Upstream extends AutoCloseable {

    Future<Void> forward(UpstreamRequest request);

    /** Releases connections and pools. */
    @Override
    void close();
}
