package io.chartgate.proxy;

import io.chartgate.decision.GatewayError;
import io.chartgate.config.RouteConfig;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.metrics.RequestOutcome;
import io.chartgate.policy.Access;
import io.chartgate.policy.CanonicalPath;
import io.chartgate.policy.Decision;
import io.chartgate.tls.ClientTrust;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.security.cert.X509Certificate;

/**
 * One request on its way through the gateway: what each step learned (identity, canonical path, route,
 * access, decision), for the next step, the access log and the metrics. Confined to one event loop.
 */
final class Exchange {

    final HttpServerRequest request;
    final String requestId;
    final long startNanos = System.nanoTime();
    final ClientIdentity identity;
    /** The verified client certificate, or null for an anonymous client. */
    final X509Certificate certificate;
    /**
     * The client certificate's chain as the trust in force verified it (its path and anchor), or why it no longer
     * holds; null for an anonymous client.
     */
    final ClientTrust.Verification trust;
    /** The chain was verified for this request (a connection's first, or its first under a reloaded trust). */
    boolean verifiedNow;
    CanonicalPath path;
    RouteConfig route;
    Access access;
    Decision decision;
    /** The index step of the state this request runs under: a successful write through the route invalidates it. */
    IndexStep index;
    /** What must run when the exchange ends, however it ends (a closed connection included). */
    final java.util.List<Runnable> atFinish = new java.util.ArrayList<>(1);
    /** The route is an OCI registry's: errors are OCI error bodies. */
    boolean oci;
    /** The OCI repository the request is about, for the access log; null elsewhere. */
    String repository;
    /** What became of a cross-repository mount: "kept" or "dropped"; null when none was asked for. */
    String mount;
    long bytesIn;
    boolean finished;
    /** The gateway answered with an error of its own after forwarding: the status is not the upstream's. */
    boolean gatewayAnswered;

    private final ClosingConnections closing;

    Exchange(HttpServerRequest request, String requestId, ClientIdentity identity, X509Certificate certificate,
            ClientTrust.Verification trust, ClosingConnections closing) {
        this.request = request;
        this.closing = closing;
        this.requestId = requestId;
        this.identity = identity;
        this.certificate = certificate;
        this.trust = trust;
    }

    /** Allowed or denied once the policy ran; rejected when the request was refused before it. */
    RequestOutcome outcome() {
        return decision == null ? RequestOutcome.REJECTED : decision.allowed() ? RequestOutcome.ALLOWED : RequestOutcome.DENIED;
    }

    /**
     * Answers with a gateway error. When the request has a body that was not read, the connection is closed
     * after the response rather than reading a body nobody wants; a bodyless request keeps its connection.
     */
    void fail(GatewayError error, String message) {
        fail(error, null, message);
    }

    /** As {@link #fail(GatewayError, String)}, with the OCI error code an OCI route's body carries (null: the usual). */
    void fail(GatewayError error, String ociCode, String message) {
        if (oci) {
            ErrorRenderer.sendOci(request, error, ociCode, message, requestId, hasUnreadBody() ? closing : null);
        } else {
            ErrorRenderer.send(request, error, message, requestId, hasUnreadBody() ? closing : null);
        }
    }

    private boolean hasUnreadBody() {
        if (request.isEnded()) {
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.headers().contains(HttpHeaders.TRANSFER_ENCODING) || (length != null && !length.trim().equals("0"));
    }
}
