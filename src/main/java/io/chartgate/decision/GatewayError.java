package io.chartgate.decision;

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

    /** The OCI distribution error code closest to this error, for an OCI route's error body. */
    public String ociCode() {
        return switch (this) {
            case CERTIFICATE_REQUIRED -> "UNAUTHORIZED";
            case FORBIDDEN, CERTIFICATE_REVOKED, CERTIFICATE_EXPIRED -> "DENIED";
            case NO_ROUTE -> "NAME_UNKNOWN";
            case PAYLOAD_TOO_LARGE -> "SIZE_INVALID";
            case OVERLOADED -> "TOOMANYREQUESTS";
            case UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT -> "UNAVAILABLE";
            case BAD_REQUEST, METHOD_NOT_ALLOWED, PROVENANCE_INVALID -> "UNSUPPORTED";
        };
    }
}
