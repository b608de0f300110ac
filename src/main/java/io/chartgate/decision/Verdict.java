package io.chartgate.decision;

/** What becomes of a request: allowed to a service, or refused with a gateway error. Both carry their {@link Trail}. */
public sealed interface Verdict permits Verdict.Allowed, Verdict.Refused {

    Trail trail();

    /** Who answers an allowed request. */
    enum Service {
        /** The route's upstream, the request streamed to it. */
        UPSTREAM,
        /** The index step: an index file, mostly from memory, rewritten or filtered for the caller. */
        INDEX,
        /** The gateway's own OCI catalog: the registry's, cut to what the caller may pull. */
        CATALOG
    }

    /**
     * @param upstreamPath the canonical path the upstream is asked for, decoded: below the route prefix, or the
     *     whole path for an oci route
     * @param upstreamTarget that path percent-encoded, plus the query to send (an OCI mount the caller may not
     *     make is taken out of it)
     */
    record Allowed(Trail trail, Service service, String upstreamPath, String upstreamTarget) implements Verdict {
    }

    /**
     * @param ociCode the OCI error code an oci route's body carries, or null for the one matching {@code error}
     * @param allow the {@code Allow} header the answer carries (a 405), or null
     */
    record Refused(Trail trail, GatewayError error, String ociCode, String message, String allow) implements Verdict {

        /** The error code the client reads: the OCI one on an oci route, the gateway's elsewhere. */
        public String code() {
            if (!trail.oci()) {
                return error.code();
            }
            return ociCode != null ? ociCode : error.ociCode();
        }
    }
}
