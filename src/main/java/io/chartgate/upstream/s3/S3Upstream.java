package io.chartgate.upstream.s3;

import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.upstream.http.HttpUpstream;
import io.vertx.core.Vertx;

/**
 * An S3 bucket as an upstream: the HTTP transport of {@link HttpUpstream} with {@link S3RequestShaper} (SigV4,
 * keys, the bucket's URL forms for index rewriting). Depends on the http adapter, never the other way round.
 */
public final class S3Upstream {

    private S3Upstream() {
    }

    /** The adapter for {@code s3}; index rewriting also covers the bucket's own URL forms ({@code s3://bucket/…}). */
    public static HttpUpstream create(Vertx vertx, S3UpstreamConfig s3) {
        S3RequestShaper shaper = new S3RequestShaper(s3);
        HttpUpstreamConfig transport = new HttpUpstreamConfig(shaper.origin(), null, null, s3.connectTimeoutMs(),
                s3.responseTimeoutMs(), s3.index(), null);
        return new HttpUpstream(vertx, transport, shaper.indexBases(), shaper, s3.spoolMaxBytes());
    }
}
