package io.chartgate.upstream.http;

import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * How an HTTP-speaking upstream wants its requests: {@link HttpUpstream} does the transport (pooling,
 * timeouts, streaming, index rewriting), a shaper sets the path, the Host and the credentials. The default
 * adds basic or bearer credentials; S3's re-encodes the object key, refuses sub-resources and signs with SigV4.
 */
public interface RequestShaper {

    /**
     * Completes {@code options} (method, host and port are set) for {@code request}.
     *
     * @throws io.chartgate.upstream.UpstreamException to refuse the request before anything is sent
     */
    void shape(RequestOptions options, UpstreamRequest request, HttpMethod method);

    /** Whether an upstream status means the gateway's own credentials were refused (answered as 502). */
    default boolean credentialsRefused(int status) {
        return false;
    }
}
