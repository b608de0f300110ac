package io.chartgate.proxy;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;

/**
 * Closes a connection whose request was answered before its body was read, once the client has stopped sending:
 * the rest of the body is read and dropped until it ends, for at most {@value #MAX_MILLIS} ms, or until
 * {@value #IDLE_MILLIS} ms pass without a byte (nginx's {@code lingering_close}, with its default times).
 *
 * <p>Closed at once, a socket with unread bytes in its receive buffer is reset: the client still sending its upload
 * has its write fail ("broken pipe", "connection reset"), and a client that writes its whole request before it
 * reads the answer (Java's HTTP client) reports that instead of the 413 or 403 written to it; a reset can also make
 * the client's kernel drop an answer it had not read yet. Nothing read here is forwarded: the connection is marked
 * closing, so a request that follows the body is dropped ({@link ClosingConnections}).
 */
final class LingeringClose {

    static final long IDLE_MILLIS = 5_000;
    static final long MAX_MILLIS = 30_000;

    private final HttpConnection connection;
    private final ContextInternal context;
    private final long start;
    private long lastRead;
    private long timer = -1;
    private boolean closed;

    private LingeringClose(HttpConnection connection, ContextInternal context) {
        this.connection = connection;
        this.context = context;
        this.start = System.nanoTime();
        this.lastRead = start;
    }

    /**
     * Reads and drops the rest of {@code request}'s body, then closes its connection; closes at once when the body
     * has ended. Called after the answer, on any thread (a request may be failed by a future another event loop
     * completed): the waiting is set up and timed on the request's own context.
     */
    static void close(HttpServerRequest request) {
        if (!(request instanceof HttpServerRequestInternal internal)) {
            request.connection().close();
            return;
        }
        ContextInternal context = internal.context();
        if (context.isRunningOnContext()) {
            linger(request, context);
        } else {
            context.runOnContext(v -> linger(request, context));
        }
    }

    private static void linger(HttpServerRequest request, ContextInternal context) {
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        LingeringClose linger = new LingeringClose(request.connection(), context);
        request.handler(chunk -> linger.lastRead = System.nanoTime());
        request.endHandler(v -> linger.closeNow());
        request.exceptionHandler(e -> linger.closeNow());
        linger.schedule(IDLE_MILLIS);
        request.resume();
    }

    private void schedule(long millis) {
        timer = context.setTimer(Math.max(1, millis), id -> expire());
    }

    private void expire() {
        timer = -1;
        long now = System.nanoTime();
        long idleLeft = IDLE_MILLIS - (now - lastRead) / 1_000_000;
        long totalLeft = MAX_MILLIS - (now - start) / 1_000_000;
        if (idleLeft <= 0 || totalLeft <= 0) {
            closeNow();
        } else {
            schedule(Math.min(idleLeft, totalLeft));
        }
    }

    private void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        if (timer >= 0) {
            context.owner().cancelTimer(timer);
            timer = -1;
        }
        connection.close();
    }
}
