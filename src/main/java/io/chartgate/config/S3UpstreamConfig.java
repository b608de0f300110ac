package io.chartgate.config;

import java.net.URI;
import java.nio.file.Path;

/**
 * An S3 bucket the gateway signs requests to with SigV4. Credentials come from the file or, when it names
 * none, from the standard AWS environment variables at load time; {@code sessionToken} may be null.
 * {@code keyPrefix} is empty or ends with '/'. {@code spoolMaxBytes} bounds what {@code payloadSigning: spool} keeps
 * on the temporary disk for the route at once.
 */
public record S3UpstreamConfig(
        URI endpoint,
        String bucket,
        String region,
        boolean pathStyle,
        String keyPrefix,
        Secret accessKeyId,
        Secret secretAccessKey,
        Secret sessionToken,
        int connectTimeoutMs,
        int responseTimeoutMs,
        IndexOptions index,
        PayloadSigning payloadSigning,
        long spoolMaxBytes,
        Path provenanceKeyring) implements UpstreamConfig {

    /** The default bound on the bytes all spooled uploads of one route hold on the temporary disk at once. */
    public static final long DEFAULT_SPOOL_MAX_BYTES = 4L << 30;

    @Override
    public String type() {
        return "s3";
    }

    @Override
    public <T> T match(Kinds<T> kinds) {
        return kinds.s3(this);
    }
}
