package io.chartgate.upstream.http;

import io.chartgate.metrics.UpstreamFailure;
import io.chartgate.upstream.ClientSend;
import io.chartgate.upstream.HopByHop;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One request relayed to a plain-HTTP upstream at Netty's level, on the client request's own event loop: the
 * request head and body go out on a pooled connection ({@link RelayPool}), the upstream's response comes back
 * into the client's Vert.x response. Body buffers are handed on as they were read (no copy): each read's bytes
 * go to the client in one write, and the buffer is released once that write is done. An upload's body is taken
 * from the client's connection at Netty's level when it can be ({@link RequestBodyTap}), else read through Vert.x.
 * Backpressure both ways: the client's body is paused while the upstream connection is not writable, and the
 * upstream connection is not read while the client's write queue is full.
 *
 * <p>Failures keep {@link HttpUpstream}'s contract: before the response head the future fails with an
 * {@link UpstreamException} (connect, timeout, reset, status_5xx) and the gateway answers; after it the client's
 * connection is reset, so a truncated body never looks complete. An exchange that did not end cleanly (client gone,
 * body over the limit, upstream answered before the body was sent) closes its upstream connection; only one whose
 * request was sent whole and whose response was read to its end goes back to the pool. Everything runs on the
 * client request's event loop, under its Vert.x context.
 */
final class RelayExchange {

    /**
     * Body bytes written to the client and not yet sent: past this the upstream is not read. Vert.x's own write
     * queue counts messages (16 before it is full), and a message here is a whole read of up to 64 KiB: 200 slow
     * downloads held a MiB each and exhausted the direct memory of {@code load-tests/run --memory}.
     */
    static final int MAX_BYTES_IN_FLIGHT = 128 * 1024;

    private final RelayPool pool;
    private final UpstreamRequest upstream;
    /** The client's connection, whose body the exchange may take at Netty's level ({@link RequestBodyTap}). */
    private final Channel client;
    private final HttpServerResponse response;
    private final ContextInternal context;
    private final EventLoop loop;
    private final HttpRequest head;
    private final boolean hasBody;
    private final boolean expectsContinue;
    private final boolean headRequest;
    private final RequestShaper shaper;
    private final long responseTimeoutMs;
    private final Promise<Void> done;

    private final Handler<Object> onRead = this::onRead;
    private final Handler<Void> onReadComplete = v -> onReadComplete();

    private RelayConnection connection;
    private boolean reused;
    private boolean retried;
    private ReadStream<Buffer> body;
    /** The body taken at Netty's level, or null when it comes through Vert.x ({@link #body}) or there is none. */
    private RequestBodyTap tap;
    private boolean requestSent;
    private boolean bodyRead;
    private boolean bodyOverLimit;
    /** Reading a {@code 100 Continue} the upstream sent on its own: its end is not the response's. */
    private boolean informational;
    private boolean headReceived;
    private boolean keepAlive;
    private boolean finished;
    private boolean readingPaused;
    private int bytesInFlight;
    /** What this read of the upstream connection brought of the body, written to the client at read-complete. */
    private ByteBuf pending;
    private ScheduledFuture<?> timer;

    RelayExchange(RelayPool pool, UpstreamRequest upstream, RequestOptions options, RequestShaper shaper,
            long responseTimeoutMs, ContextInternal context, Channel client) {
        this.pool = pool;
        this.upstream = upstream;
        this.client = client;
        EventLoop loop = client.eventLoop();
        HttpServerRequest request = upstream.request();
        this.response = request.response();
        this.context = context;
        this.loop = loop;
        this.shaper = shaper;
        this.responseTimeoutMs = responseTimeoutMs;
        this.done = context.promise();
        this.hasBody = ResponseRelay.hasBody(request);
        this.expectsContinue = hasBody
                && request.headers().contains(io.vertx.core.http.HttpHeaders.EXPECT, io.vertx.core.http.HttpHeaders.CONTINUE, true);
        this.headRequest = options.getMethod() == io.vertx.core.http.HttpMethod.HEAD;
        MultiMap headers = options.getHeaders();
        HttpHeaders out = headers instanceof HttpHeaders netty ? netty : copy(headers);
        if (hasBody) {
            String declared = request.getHeader(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH);
            if (declared != null) {
                out.set(HttpHeaderNames.CONTENT_LENGTH, declared.trim());
            } else {
                out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        this.head = new DefaultHttpRequest(HttpVersion.HTTP_1_1,
                io.netty.handler.codec.http.HttpMethod.valueOf(options.getMethod().name()), options.getURI(), out);
    }

    /** Whether the request may be sent twice: a GET or a HEAD. */
    private boolean safeToRepeat() {
        return head.method() == io.netty.handler.codec.http.HttpMethod.GET
                || head.method() == io.netty.handler.codec.http.HttpMethod.HEAD;
    }

    private static HttpHeaders copy(MultiMap headers) {
        HttpHeaders out = new io.netty.handler.codec.http.DefaultHttpHeaders();
        for (Map.Entry<String, String> header : headers) {
            out.add(header.getKey(), header.getValue());
        }
        return out;
    }

    /** Sends the request; the future completes when the response has been relayed (or the client went away). */
    Future<Void> start() {
        response.exceptionHandler(failure -> clientGone());
        response.drainHandler(v -> resumeReading());
        if (hasBody) {
            // only while the request's head is being dispatched, before any of its body reached Vert.x
            tap = RequestBodyTap.claim(client, upstream.maxBodyBytes(), upstream.bytesIn(), this::bodyEnded,
                    this::bodyFailed);
            if (tap != null) {
                // no content reaches the Vert.x request now, only its end: it must not wait in the paused request's
                // queue, or the request would not count as read (and a later error would close its connection)
                upstream.request().resume();
            }
        }
        pool.acquire(loop, this::connectedOnLoop, this::connectFailedOnLoop);
        return done.future();
    }

    private void connectedOnLoop(RelayConnection connection, Boolean reused) {
        context.dispatch(v -> connected(connection, reused));
    }

    private void connectFailedOnLoop(Throwable cause) {
        if (cause instanceof RelayPool.Exhausted) {
            // the gateway's own limit: no upstream failure to count, and the client may try again
            context.dispatch(v -> fail(new UpstreamException(UpstreamException.Kind.OVERLOADED, null,
                    "every connection the gateway keeps to the upstream is in use; try again",
                    ClientSend.describe(cause))));
            return;
        }
        context.dispatch(v -> fail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.CONNECT,
                "the upstream cannot be reached", ClientSend.describe(cause))));
    }

    private void connected(RelayConnection connection, boolean reused) {
        if (finished) {
            // the client went away while the connection was made: it is clean, keep it for the next request
            pool.release(connection);
            return;
        }
        this.connection = connection;
        this.reused = reused;
        connection.serve(this);
        Channel channel = connection.channel();
        if (!hasBody) {
            channel.write(head, channel.voidPromise());
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
            requestSent();
            return;
        }
        channel.writeAndFlush(head, channel.voidPromise());
        if (tap != null) {
            if (expectsContinue) {
                response.writeContinue();
            }
            tap.start(channel);
            return;
        }
        body = ResponseRelay.body(upstream);
        body.handler(this::bodyChunk);
        body.exceptionHandler(this::bodyFailed);
        body.endHandler(v -> bodyEnded());
        if (expectsContinue) {
            response.writeContinue();
        }
        body.resume();
    }

    private void bodyChunk(Buffer chunk) {
        RelayConnection current = connection;
        if (finished || current == null) {
            return;
        }
        Channel channel = current.channel();
        ByteBuf data = ((BufferInternal) chunk).getByteBuf();
        if (!data.isDirect()) {
            // The chunk is a heap copy (server/HeapRequestContent), and a socket writes only direct memory: copied
            // here into pooled memory, which is back in its pool as soon as it is written. Left to the channel, the
            // copy came from its own allocator, unpooled for its reads (RelayPool): a malloc and a free per chunk.
            ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(data.readableBytes());
            direct.writeBytes(data, data.readerIndex(), data.readableBytes());
            data.release();
            data = direct;
        }
        // Flushed at once, as the Vert.x client did: a flush deferred to a task of the loop waited for its next I/O.
        channel.writeAndFlush(new DefaultHttpContent(data), channel.voidPromise());
        if (!channel.isWritable()) {
            body.pause();
        }
    }

    private void bodyEnded() {
        bodyRead = true;
        RelayConnection current = connection;
        if (finished || current == null) {
            return;
        }
        current.channel().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, current.channel().voidPromise());
        requestSent();
    }

    private void bodyFailed(Throwable cause) {
        if (cause instanceof UpstreamException e) {
            // over maxBodyBytes: the upstream connection is closed mid-body, so nothing partial is stored
            bodyOverLimit = true;
            fail(e);
        } else {
            // the client went away mid-upload: the same, and there is nobody to answer
            clientGone();
        }
    }

    private void requestSent() {
        requestSent = true;
        if (!headReceived) {
            timer = loop.schedule(() -> context.dispatch(v -> {
                if (!headReceived) {
                    fail(new UpstreamException(UpstreamException.Kind.TIMEOUT, UpstreamFailure.TIMEOUT,
                            "the upstream did not answer within " + responseTimeoutMs + " ms"));
                }
            }), responseTimeoutMs, TimeUnit.MILLISECONDS);
        }
    }

    void upstreamWritable() {
        if (tap != null && !finished && !requestSent) {
            tap.upstreamWritable();
        } else if (body != null && !finished && !requestSent) {
            context.dispatch(v -> body.resume());
        }
    }

    void upstreamRead(Object msg) {
        context.dispatch(msg, onRead);
    }

    void upstreamReadComplete() {
        context.dispatch(onReadComplete);
    }

    void upstreamClosed(Throwable cause) {
        context.dispatch(v -> closed(cause));
    }

    private void onRead(Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse head) {
            if (!head(head)) {
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            content(content);
        }
    }

    /** False when the exchange ended here. */
    private boolean head(HttpResponse head) {
        if (head.decoderResult().isFailure()) {
            fail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.RESET,
                    "the upstream sent a malformed response", ClientSend.describe(head.decoderResult().cause())));
            return false;
        }
        int status = head.status().code();
        if (status == 100) {
            informational = true;
            return true;
        }
        if (status < 200) {
            fail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.RESET,
                    "the upstream sent an unexpected informational response (" + status + ")"));
            return false;
        }
        cancelTimer();
        if (shaper.credentialsRefused(status)) {
            fail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX,
                    "the upstream refused the gateway's own credentials (" + status
                            + "); check the route's keys and permissions"));
            return false;
        }
        headReceived = true;
        if (response.closed() || response.ended()) {
            // the client is gone (or was answered): stop the upstream instead of reading a body nobody wants
            clientGone();
            return false;
        }
        keepAlive = HttpUtil.isKeepAlive(head);
        response.setStatusCode(status);
        response.setStatusMessage(head.status().reasonPhrase());
        copyEndToEnd(head.headers(), response.headers());
        if (!head.headers().contains(HttpHeaderNames.CONTENT_LENGTH) && !headRequest && status != 204 && status != 304) {
            response.setChunked(true);
        }
        return true;
    }

    private void content(HttpContent content) {
        if (informational) {
            informational = !(content instanceof LastHttpContent);
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            closed(content.decoderResult().cause());
            return;
        }
        ByteBuf data = content.content();
        if (data.isReadable()) {
            append(data);
        } else {
            data.release();
        }
        if (content instanceof LastHttpContent) {
            complete();
        }
    }

    private void append(ByteBuf data) {
        if (pending == null) {
            pending = data;
        } else if (pending instanceof CompositeByteBuf composite) {
            composite.addComponent(true, data);
        } else {
            CompositeByteBuf composite = data.alloc().compositeBuffer();
            composite.addComponent(true, pending);
            composite.addComponent(true, data);
            pending = composite;
        }
    }

    private void onReadComplete() {
        if (finished || pending == null) {
            return;
        }
        ByteBuf data = pending;
        pending = null;
        write(data, false);
        if ((bytesInFlight >= MAX_BYTES_IN_FLIGHT || response.writeQueueFull()) && connection != null) {
            readingPaused = true;
            connection.channel().config().setAutoRead(false);
        }
    }

    /** On a write done and on Vert.x's drain: reading goes on once both bounds allow it. */
    private void resumeReading() {
        if (readingPaused && !finished && connection != null && bytesInFlight < MAX_BYTES_IN_FLIGHT
                && !response.writeQueueFull()) {
            readingPaused = false;
            connection.channel().config().setAutoRead(true);
        }
    }

    /**
     * Writes {@code data} to the client without copying it: Vert.x sends an unreleasable slice of it, so the
     * reference held here is released once the write is done (or failed).
     */
    private void write(ByteBuf data, boolean last) {
        int length = data.readableBytes();
        Future<Void> written;
        try {
            written = last ? response.end(BufferInternal.buffer(data)) : response.write(BufferInternal.buffer(data));
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        bytesInFlight += length;
        written.onComplete(ar -> {
            data.release();
            bytesInFlight -= length;
            resumeReading();
        });
    }

    /** The response was read to its end: the connection goes back to the pool if the request went out whole. */
    private void complete() {
        finished = true;
        cancelTimer();
        ByteBuf data = pending;
        pending = null;
        RelayConnection current = connection;
        connection = null;
        current.serve(null);
        if (keepAlive && requestSent && current.channel().isActive()) {
            if (readingPaused) {
                current.channel().config().setAutoRead(true);
            }
            pool.release(current);
        } else {
            current.channel().close();
        }
        discardBody();
        if (response.closed() || response.ended()) {
            if (data != null) {
                data.release();
            }
        } else if (data != null) {
            write(data, true);
        } else {
            response.end();
        }
        done.tryComplete();
    }

    private void closed(Throwable cause) {
        if (finished) {
            return;
        }
        RelayConnection current = connection;
        connection = null;
        if (current != null) {
            current.serve(null);
            current.channel().close();
        }
        if (!headReceived && !informational && reused && !hasBody && !retried && safeToRepeat()) {
            // a kept connection the upstream had closed meanwhile: a read is sent again, once, on a new connection
            // (as the Vert.x client's pool would have found it closed a moment later); a DELETE is never repeated,
            // the upstream may have done it before it closed
            retried = true;
            cancelTimer();
            pool.connect(loop, this::connectedOnLoop, this::connectFailedOnLoop);
            return;
        }
        fail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.RESET, "the upstream closed the connection",
                cause == null ? "closed before the response was complete" : ClientSend.describe(cause)));
    }

    /**
     * Ends the exchange: before the response head, with {@code failure} for the gateway to answer; after it, by
     * resetting the client's connection (its body would be truncated).
     */
    private void fail(UpstreamException failure) {
        if (!end()) {
            return;
        }
        if (headReceived) {
            response.reset();
            done.tryComplete();
        } else {
            done.tryFail(failure);
        }
    }

    /** The client went away (or was answered): the upstream exchange is cut, so no partial upload is stored. */
    private void clientGone() {
        if (end()) {
            done.tryComplete();
        }
    }

    /** Marks the exchange finished and closes its upstream connection; false when it had finished already. */
    private boolean end() {
        if (finished) {
            return false;
        }
        finished = true;
        cancelTimer();
        if (pending != null) {
            pending.release();
            pending = null;
        }
        RelayConnection current = connection;
        connection = null;
        if (current != null) {
            current.serve(null);
            current.channel().close();
        }
        discardBody();
        return true;
    }

    /**
     * The rest of a body the upstream no longer takes (it answered early, or the exchange failed) is read and
     * dropped until the gateway's answer closes the connection: left paused, it would hold the client's upload,
     * and its connection, until a timeout, and Vert.x does not release the chunks a paused connection holds when it
     * closes. A body over the limit is past counting (its stream refuses to resume): its request is resumed itself.
     */
    private void discardBody() {
        if (tap != null) {
            bodyRead = true;
            tap.discard();
            return;
        }
        if (body == null || bodyRead) {
            return;
        }
        bodyRead = true;
        if (!bodyOverLimit) {
            body.handler(chunk -> { });
            body.resume();
            return;
        }
        HttpServerRequest request = upstream.request();
        if (!request.isEnded()) {
            request.handler(chunk -> { });
            request.resume();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /**
     * Copies every header except hop-by-hop ones, those the {@code Connection} header names, and the upstream's
     * {@code X-Request-Id} and {@code X-Content-Type-Options} (the gateway's own are already set); as
     * {@link ResponseRelay#copyEndToEnd} does for the Vert.x client's responses.
     */
    static void copyEndToEnd(HttpHeaders from, MultiMap to) {
        List<String> named = null;
        for (String connection : from.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : connection.split(",")) {
                String n = name.trim().toLowerCase(Locale.ROOT);
                if (!n.isEmpty()) {
                    if (named == null) {
                        named = new ArrayList<>(2);
                    }
                    named.add(n);
                }
            }
        }
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            String name = header.getKey().toString().toLowerCase(Locale.ROOT);
            if (HopByHop.HEADERS.contains(name) || name.equals("x-request-id") || name.equals("x-content-type-options")
                    || (named != null && named.contains(name))) {
                continue;
            }
            to.add(header.getKey(), header.getValue());
        }
    }
}
