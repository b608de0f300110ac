package io.chartgate.proxy;

/** Every error the gateway answers by itself: its status and the {@code error} code of the JSON body. */
public enum GatewayError {
    BAD_REQUEST(400, "bad_request"),
    CERTIFICATE_REQUIRED(401, "certificate_required"),
    FORBIDDEN(403, "forbidden"),
    CERTIFICATE_REVOKED(403, "certificate_revoked"),
    CERTIFICATE_EXPIRED(403, "certificate_expired"),
    NO_ROUTE(404, "no_route"),
    METHOD_NOT_ALLOWED(405, "method_not_allowed"),
    PAYLOAD_TOO_LARGE(413, "payload_too_large"),
    PROVENANCE_INVALID(422, "provenance_invalid"),
    UPSTREAM_UNAVAILABLE(502, "upstream_unavailable"),
    OVERLOADED(503, "overloaded"),
    UPSTREAM_TIMEOUT(504, "upstream_timeout");

    private final int status;
    private final String code;

    GatewayError(int status, String code) {
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
