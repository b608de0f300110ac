package io.chartgate.upstream;

import io.vertx.core.MultiMap;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;

/**
 * What the index step asks of an upstream, and what it answered: one GET of an index file, conditional when a
 * copy is cached, its body read whole (the index step's bounded exception to streaming).
 */
public sealed interface IndexFetch {

    /**
     * One index fetch.
     *
     * @param upstream the request that caused it (its headers are sent; its query never is)
     * @param etag the cached copy's upstream {@code ETag}, sent as {@code If-None-Match}; may be null
     * @param lastModified the cached copy's {@code Last-Modified}, sent as {@code If-Modified-Since} without an ETag
     * @param maxBytes the most body bytes read (as sent, before any decoding); past it the fetch fails
     * @param budget where the body's bytes are reserved as they arrive
     */
    record Request(UpstreamRequest upstream, String etag, String lastModified, long maxBytes, Budget budget) {
    }

    /**
     * The index step's memory: {@code reserve} answers false when the bytes cannot be had (the fetch then fails
     * with {@link UpstreamException.Kind#OVERLOADED}, releasing what it reserved); a successful fetch hands its
     * reservation on with a {@link Fresh} body.
     */
    record Budget(LongPredicate reserve, LongConsumer release) {
    }

    /** A 200: the body as the upstream sent it and its validators; {@code contentEncoding} null for identity. */
    record Fresh(byte[] body, String contentEncoding, String etag, String lastModified, String contentType)
            implements IndexFetch {
    }

    /** A 304: the cached copy is still the upstream's. */
    record NotModified() implements IndexFetch {
    }

    /** Any other answer (a 404, a 401 from the upstream), relayed to the client as it is; its body holds no reservation. */
    record Other(int status, String statusMessage, MultiMap headers, byte[] body) implements IndexFetch {
    }
}
