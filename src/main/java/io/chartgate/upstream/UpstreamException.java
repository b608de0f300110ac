package io.chartgate.upstream;

import io.chartgate.metrics.UpstreamFailure;

/**
 * Why an upstream exchange failed. The gateway answers with the matching error when no response has started;
 * otherwise the client's connection is reset.
 */
public final class UpstreamException extends RuntimeException {

    /** What went wrong, in the gateway's error vocabulary. */
    public enum Kind {
        /** No connection could be made, or it broke before the response headers (502). */
        UNAVAILABLE,
        /** The response headers did not arrive within {@code responseTimeoutMs} (504). */
        TIMEOUT,
        /** The request body crossed {@code maxBodyBytes} (413). */
        TOO_LARGE,
        /** The upstream cannot take this method, e.g. a write to a file upstream (405). */
        METHOD_NOT_ALLOWED,
        /** The request cannot be sent to this upstream as it is, e.g. an S3 sub-resource query (400). */
        BAD_REQUEST,
        /** The index step's memory bound is reached, or every upstream connection the gateway keeps is in use (503). */
        OVERLOADED
    }

    private final Kind kind;
    private final UpstreamFailure failure;
    private final String detail;

    public UpstreamException(Kind kind, String message) {
        this(kind, null, message);
    }

    /**
     * @param failure how the upstream failed, for {@code chartgate_upstream_errors_total}'s {@code kind}; null when
     *     the upstream did not fail (a body over the limit, an answer larger than the gateway reads, say)
     */
    public UpstreamException(Kind kind, UpstreamFailure failure, String message) {
        this(kind, failure, message, null);
    }

    /**
     * @param detail what the operator needs and the client must not see (the upstream's address, the socket
     *     error): logged, never sent; may be null
     */
    public UpstreamException(Kind kind, UpstreamFailure failure, String message, String detail) {
        super(message, null, false, false);
        this.kind = kind;
        this.failure = failure;
        this.detail = detail;
    }

    /** A request body that crossed {@code limit} while it was read (413): one wording wherever it is counted. */
    public static UpstreamException bodyTooLarge(long limit) {
        return new UpstreamException(Kind.TOO_LARGE, "the request body is larger than " + limit + " bytes");
    }

    /** For the log only; null when there is nothing beyond the message. */
    public String detail() {
        return detail;
    }

    public Kind kind() {
        return kind;
    }

    /** How the upstream failed, or null when it did not (a body over the limit, the gateway's own bounds). */
    public UpstreamFailure failure() {
        return failure;
    }
}
