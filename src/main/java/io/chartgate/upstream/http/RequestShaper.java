package io.chartgate.upstream.http;

import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Path;

/**
 * How an HTTP-speaking upstream wants its requests: {@link HttpUpstream} does the transport (pooling,
 * timeouts, streaming, index rewriting), a shaper sets the path, the Host and the credentials. The default
 * adds basic or bearer credentials; S3's re-encodes the object key, refuses sub-resources and signs with SigV4.
 */
public interface RequestShaper {

    /**
     * Completes {@code options} (method, host and port are set) for {@code request}. Runs off the event loop
     * when {@code spooledBody} is set (signing it reads the file).
     *
     * @param spooledBody the request body in a file, when {@link #spoolsBodies()}; else null (streamed)
     * @throws io.chartgate.upstream.UpstreamException to refuse the request before anything is sent
     */
    void shape(RequestOptions options, UpstreamRequest request, HttpMethod method, Path spooledBody);

    /** Completes {@code options} (method HEAD, host and port set) for the readiness probe of this upstream. */
    void shapeProbe(RequestOptions options);

    /** Null when a probe's answer means the upstream is ready, else why it is not. */
    default String probeProblem(int status) {
        return null;
    }

    /** Whether upload bodies must be in a file before the request can be shaped (S3 with signed payloads). */
    default boolean spoolsBodies() {
        return false;
    }

    /** Whether an upstream status means the gateway's own credentials were refused (answered as 502). */
    default boolean credentialsRefused(int status) {
        return false;
    }
}
