package io.chartgate.upstream;

import io.chartgate.metrics.UpstreamFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import java.util.Arrays;

/**
 * Reads an upstream body whole for the index step: at most {@code maxBytes}, each chunk reserved from the step's
 * budget as it arrives, and no pause between chunks longer than {@code idleMillis}. Past any bound the upstream
 * request is reset at once and nothing more is read: an upstream that stalls mid-index cannot hold the index (and
 * every request waiting on it) forever.
 */
public final class BoundedBody {

    private BoundedBody() {
    }

    /** The body's bytes; on failure every byte reserved is released again. */
    public static Future<byte[]> read(HttpClientResponse response, IndexFetch.Request fetch, Vertx vertx, long idleMillis) {
        long max = fetch.maxBytes();
        IndexFetch.Budget budget = fetch.budget();
        long declared = declaredLength(response);
        if (declared > max) {
            response.request().reset();
            return Future.failedFuture(tooLarge(max));
        }
        if (declared >= 0 && !budget.reserve().test(declared)) {
            response.request().reset();
            return Future.failedFuture(overloaded());
        }
        Promise<byte[]> done = Promise.promise();
        // declared: reserved whole above, and read into an array of exactly that size
        long[] reserved = {declared >= 0 ? declared : 0};
        byte[][] body = {new byte[(int) Math.max(0, Math.min(declared >= 0 ? declared : 64 * 1024, max))]};
        int[] length = {0};
        long[] timer = {-1};
        Runnable idle = new Runnable() {
            @Override
            public void run() {
                vertx.cancelTimer(timer[0]);
                timer[0] = vertx.setTimer(idleMillis, id -> fail(done, response, budget, reserved, new UpstreamException(
                        UpstreamException.Kind.TIMEOUT, UpstreamFailure.TIMEOUT, "the upstream sent no more of the index file for "
                                + idleMillis + " ms")));
            }
        };
        done.future().onComplete(ar -> vertx.cancelTimer(timer[0]));
        idle.run();
        response.handler(chunk -> {
            if (done.future().isComplete()) {
                return;
            }
            idle.run();
            int n = chunk.length();
            long needed = length[0] + (long) n;
            if (needed > max || (declared >= 0 && needed > declared)) {
                fail(done, response, budget, reserved, tooLarge(max));
                return;
            }
            if (declared < 0) {
                if (!budget.reserve().test(n)) {
                    fail(done, response, budget, reserved, overloaded());
                    return;
                }
                reserved[0] += n;
            }
            if (needed > body[0].length) {
                body[0] = Arrays.copyOf(body[0], (int) Math.min(max, Math.max(needed, body[0].length * 2L)));
            }
            chunk.getBytes(0, n, body[0], length[0]);
            length[0] += n;
        });
        response.exceptionHandler(e -> fail(done, response, budget, reserved, new UpstreamException(
                UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.RESET, "the upstream closed the connection mid-index")));
        response.endHandler(v -> {
            if (!done.future().isComplete()) {
                byte[] bytes = length[0] == body[0].length ? body[0] : Arrays.copyOf(body[0], length[0]);
                if (reserved[0] > length[0]) {
                    budget.release().accept(reserved[0] - length[0]);
                }
                done.tryComplete(bytes);
            }
        });
        response.resume();
        return done.future();
    }

    private static void fail(Promise<byte[]> done, HttpClientResponse response, IndexFetch.Budget budget, long[] reserved,
            UpstreamException cause) {
        if (done.tryFail(cause)) {
            budget.release().accept(reserved[0]);
            reserved[0] = 0;
            response.request().reset();
        }
    }

    private static long declaredLength(HttpClientResponse response) {
        String declared = response.getHeader(HttpHeaders.CONTENT_LENGTH);
        try {
            return declared == null ? -1 : Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The body is larger than the index step reads. */
    public static UpstreamException tooLarge(long max) {
        return new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
                "the upstream's index file is larger than " + max + " bytes (server.limits.maxIndexBytes)");
    }

    /** The index step's memory is taken. */
    public static UpstreamException overloaded() {
        return new UpstreamException(UpstreamException.Kind.OVERLOADED,
                "the gateway is serving too many large index files at once (server.limits.indexCacheBytes); try again");
    }
}
