package io.chartgate.proxy;

import io.chartgate.decision.GatewayError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The one renderer of gateway errors: {@code {"error", "message", "requestId"}} as JSON, and the same short
 * reason in the HTTP reason phrase, because helm prints only the status line. Never a stack trace.
 */
public final class ErrorRenderer {

    private static final int MAX_REASON = 200;

    private ErrorRenderer() {
    }

    /**
     * Sends the error unless a response is already under way. With {@code closing}, the connection is closed
     * once the response is written (for a request whose body was not read, or one the codec could not parse) and
     * no request behind it is served; with null it stays open. A refused request whose framing was accepted has the
     * rest of its body read and dropped before the close ({@link LingeringClose}), so the client reads the answer
     * rather than a reset; a 400 (unparsable, or framing the gateway refused) is closed at once: its body's end is
     * not known.
     */
    public static void send(HttpServerRequest request, GatewayError error, String message, String requestId,
            ClosingConnections closing) {
        String body = new JsonObject()
                .put("error", error.code())
                .put("message", message)
                .put("requestId", requestId)
                .encode();
        write(request, error, message, requestId, closing, body);
    }

    /**
     * The same error as an OCI registry says it, {@code {"errors":[{"code","message","detail"}]}}, so helm and
     * other registry clients print the reason ({@code denied: bob may not write /v2/charts/x}); the gateway's own
     * code and the request id are in {@code detail}.
     *
     * @param code the OCI error code, or null for the one that matches {@code error}
     */
    public static void sendOci(HttpServerRequest request, GatewayError error, String code, String message, String requestId,
            ClosingConnections closing) {
        JsonObject entry = new JsonObject()
                .put("code", code != null ? code : error.ociCode())
                .put("message", message)
                .put("detail", new JsonObject().put("error", error.code()).put("requestId", requestId));
        String body = new JsonObject().put("errors", new io.vertx.core.json.JsonArray().add(entry)).encode();
        write(request, error, message, requestId, closing, body);
    }


    private static void write(HttpServerRequest request, GatewayError error, String message, String requestId,
            ClosingConnections closing, String body) {
        boolean close = closing != null;
        HttpServerResponse response = request.response();
        if (response.headWritten() || response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(error.status())
                .setStatusMessage(reasonPhrase(message))
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        if (requestId != null) {
            response.putHeader(ForwardedHeaders.REQUEST_ID, requestId);
        }
        if (close) {
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        if (close) {
            closing.mark(request.connection());
        }
        response.end(body);
        if (close && error != GatewayError.BAD_REQUEST) {
            LingeringClose.close(request);
        } else if (close) {
            // closes once the response is flushed; pipelined requests behind this one are never read
            request.connection().close();
        }
    }

    /** Printable ASCII only, one line, bounded: what a reason phrase may carry. */
    static String reasonPhrase(String message) {
        StringBuilder out = new StringBuilder(Math.min(message.length(), MAX_REASON));
        for (int i = 0; i < message.length() && out.length() < MAX_REASON; i++) {
            char c = message.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
