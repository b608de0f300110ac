package io.chartgate.upstream;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.ReadStream;

/** Streams bodies between the client and an upstream with backpressure, never buffering one. */
public final class ResponseRelay {

    private ResponseRelay() {
    }

    /**
     * Pipes the client's body into {@code outgoing} (or ends it when there is none). A chunked body fails with
     * {@link UpstreamException.Kind#TOO_LARGE} the moment it crosses the limit; a declared length over it was
     * refused before any upstream was asked.
     */
    public static Future<Void> sendBody(UpstreamRequest upstream, HttpClientRequest outgoing) {
        HttpServerRequest request = upstream.request();
        if (!hasBody(request)) {
            return outgoing.end();
        }
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            outgoing.putHeader(HttpHeaders.CONTENT_LENGTH, declared.trim());
        } else {
            outgoing.setChunked(true);
        }
        if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
            request.response().writeContinue();
        }
        return body(upstream).pipe().endOnFailure(false).to(outgoing);
    }

    /** Whether the request declares a body (a Content-Length, or chunked: the only coding that gets this far). */
    public static boolean hasBody(HttpServerRequest request) {
        return request.headers().contains(HttpHeaders.CONTENT_LENGTH) || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    }

    /** The client's body, counted, failing with {@link UpstreamException.Kind#TOO_LARGE} past the limit. */
    public static ReadStream<Buffer> body(UpstreamRequest upstream) {
        return new CountingReadStream(upstream.request(), upstream.maxBodyBytes(), upstream.bytesIn());
    }

    /**
     * Copies the upstream's status and end-to-end headers to the client and pipes the body. If the upstream
     * fails mid-body, the client's connection is reset, so the truncation shows.
     */
    public static Future<Void> relay(HttpServerRequest request, HttpClientResponse response) {
        return relay(request, response, headers -> { });
    }

    /**
     * As {@link #relay(HttpServerRequest, HttpClientResponse)}, with the copied response headers passed through
     * {@code adjust} before they are sent (an OCI registry's own URLs made the gateway's).
     */
    public static Future<Void> relay(HttpServerRequest request, HttpClientResponse response,
            java.util.function.Consumer<MultiMap> adjust) {
        HttpServerResponse out = request.response();
        if (out.closed() || out.ended()) {
            // the client is gone (or was answered): stop the upstream instead of reading a body nobody wants
            response.request().reset();
            return Future.succeededFuture();
        }
        out.setStatusCode(response.statusCode());
        if (response.statusMessage() != null) {
            out.setStatusMessage(response.statusMessage());
        }
        copyEndToEnd(response.headers(), out.headers());
        adjust.accept(out.headers());
        // a client that goes away while the pipe waits for it to drain stops the upstream too
        out.exceptionHandler(failure -> response.request().reset());
        String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null && !request.method().name().equals("HEAD") && response.statusCode() != 204
                && response.statusCode() != 304) {
            out.setChunked(true);
        }
        return response.pipe().endOnFailure(false).to(out).recover(cause -> {
            // one side failed mid-body: reset both, so neither sees a truncated body as complete
            out.reset();
            response.request().reset();
            return Future.succeededFuture();
        });
    }

    /**
     * Copies every header except hop-by-hop ones, those the {@code Connection} header names, and the
     * upstream's {@code X-Request-Id} and {@code X-Content-Type-Options} (the gateway's own are already set).
     */
    public static void copyEndToEnd(MultiMap from, MultiMap to) {
        MultiMap copy = MultiMap.caseInsensitiveMultiMap().addAll(from);
        HopByHop.strip(copy);
        copy.remove("X-Request-Id");
        copy.remove("X-Content-Type-Options"); // the gateway sends nosniff on every response itself
        to.addAll(copy);
    }
}
