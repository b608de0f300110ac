package io.chartgate.upstream;

import io.chartgate.metrics.UpstreamFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * One request on a Vert.x client, with the gateway's timeouts and failure kinds: {@code connectTimeoutMs} (in the
 * options) to get a connection, then {@code responseTimeoutMs} from the end of the request body to the response
 * headers. A body that fails (a client gone mid-upload, a body over the limit) resets the request, so the upstream
 * stores nothing partial. Fails with an {@link UpstreamException}; what only the operator may see is its detail.
 * The http and oci adapters send through it (the relay of plain http has its own, {@code http/RelayExchange}).
 */
public final class ClientSend {

    private ClientSend() {
    }

    /**
     * @param body writes the request's body (and ends it) on the request it is given
     * @param who "upstream" or "registry", as the client's error messages name it
     * @param credentialsRefused true for a status that says the gateway's own credentials were refused (a
     *     misconfigured route, reported as a 502), or null when no status does
     */
    public static Future<HttpClientResponse> send(Vertx vertx, HttpClient client, RequestOptions options,
            Function<HttpClientRequest, Future<Void>> body, long responseTimeoutMs, String who,
            IntPredicate credentialsRefused) {
        Promise<HttpClientResponse> done = Promise.promise();
        client.request(options).onComplete(ar -> {
            if (ar.failed()) {
                done.tryFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.CONNECT,
                        "the " + who + " cannot be reached", describe(ar.cause())));
                return;
            }
            HttpClientRequest outgoing = ar.result();
            long[] timer = {-1};
            body.apply(outgoing).onComplete(result -> {
                if (result.succeeded()) {
                    if (!outgoing.response().isComplete()) {
                        timer[0] = vertx.setTimer(responseTimeoutMs, id -> {
                            done.tryFail(new UpstreamException(UpstreamException.Kind.TIMEOUT, UpstreamFailure.TIMEOUT,
                                    "the " + who + " did not answer within " + responseTimeoutMs + " ms"));
                            outgoing.reset();
                        });
                    }
                    return;
                }
                // fail first: the reset below also fails the response future, which must not win.
                // A client that goes away mid-upload ends up here too, so no partial chart is stored.
                if (result.cause() instanceof UpstreamException e) {
                    done.tryFail(e);
                }
                outgoing.reset();
            });
            outgoing.response().onComplete(response -> {
                vertx.cancelTimer(timer[0]);
                if (done.future().isComplete()) {
                    if (response.succeeded()) {
                        response.result().request().reset();
                    }
                    return;
                }
                if (response.failed()) {
                    done.tryFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.RESET,
                            "the " + who + " closed the connection", describe(response.cause())));
                } else if (credentialsRefused != null && credentialsRefused.test(response.result().statusCode())) {
                    response.result().request().reset();
                    done.tryFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX,
                            "the " + who + " refused the gateway's own credentials (" + response.result().statusCode()
                                    + "); check the route's keys and permissions"));
                } else {
                    done.tryComplete(response.result());
                }
            });
        });
        return done.future();
    }

    /** The cause's message for the operator's log line, or its type when it has none. */
    public static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }
}
