package io.chartgate.upstream.s3;

import io.chartgate.config.PayloadSigning;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.chartgate.upstream.http.RequestShaper;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * Requests to an S3 bucket: the object key is what follows the route prefix (after {@code keyPrefix}),
 * URI-encoded as S3 expects; the client's {@code Authorization} and {@code X-Amz-*} headers and presigned-URL
 * parameters are dropped; any other query (a sub-resource such as {@code ?acl}, {@code ?uploads}) is refused
 * with 400; and the request is signed with SigV4 by the AWS SDK's signer, with {@code UNSIGNED-PAYLOAD} so the
 * body streams. Clients hold certificates, never AWS keys.
 */
public final class S3RequestShaper implements RequestShaper {

    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
    /** The content types a chart repository's objects have; any other an upload names is stored as octet-stream. */
    private static final java.util.Set<String> CHART_TYPES = java.util.Set.of("application/gzip", "application/x-gzip",
            "application/x-tar", "application/octet-stream", "text/plain", "application/x-yaml", "text/yaml",
            "application/yaml", "application/json", "application/pgp-signature");

    private final S3UpstreamConfig config;
    private final String basePath;
    private final String hostHeader;
    private final String scheme;
    private final String host;
    private final int port;
    private final AwsCredentialsIdentity credentials;

    public S3RequestShaper(S3UpstreamConfig config) {
        this.config = config;
        URI endpoint = config.endpoint();
        this.scheme = endpoint.getScheme().toLowerCase(Locale.ROOT);
        this.host = config.pathStyle() ? endpoint.getHost() : config.bucket() + "." + endpoint.getHost();
        this.port = endpoint.getPort() > 0 ? endpoint.getPort() : scheme.equals("https") ? 443 : 80;
        this.hostHeader = endpoint.getPort() > 0 ? host + ":" + port : host;
        this.basePath = config.pathStyle() ? "/" + config.bucket() : "";
        this.credentials = config.sessionToken() == null
                ? AwsCredentialsIdentity.create(config.accessKeyId().reveal(), config.secretAccessKey().reveal())
                : AwsSessionCredentialsIdentity.create(config.accessKeyId().reveal(), config.secretAccessKey().reveal(),
                        config.sessionToken().reveal());
    }

    /** The URL an S3 client reaches this bucket at, and {@code s3://bucket/}: what index.yaml chart URLs start with. */
    public List<String> indexBases() {
        String origin = scheme + "://" + hostHeader + basePath + "/" + config.keyPrefix();
        return List.of(origin, "s3://" + config.bucket() + "/" + config.keyPrefix());
    }

    /** Where requests go: scheme, host and port of the endpoint (the bucket's host when virtual-hosted). */
    public URI origin() {
        return URI.create(scheme + "://" + hostHeader + "/");
    }

    @Override
    public boolean spoolsBodies() {
        return config.payloadSigning() == PayloadSigning.SPOOL;
    }

    @Override
    public void shape(RequestOptions options, UpstreamRequest request, HttpMethod method, Path spooledBody) {
        if (!List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PUT, HttpMethod.DELETE).contains(method)) {
            throw new UpstreamException(UpstreamException.Kind.METHOD_NOT_ALLOWED,
                    "an S3 route takes GET, HEAD, PUT and DELETE of objects");
        }
        String query = remainingQuery(request.target());
        if (!query.isEmpty()) {
            throw new UpstreamException(UpstreamException.Kind.BAD_REQUEST,
                    "S3 sub-resource and list queries are not allowed (\"?" + query.split("&")[0] + "\")");
        }
        String key = config.keyPrefix() + request.path().substring(1);
        if (key.isEmpty() || key.endsWith("/")) {
            throw new UpstreamException(UpstreamException.Kind.BAD_REQUEST, "an S3 route serves objects, not listings");
        }
        MultiMap headers = options.getHeaders();
        for (String name : List.copyOf(headers.names())) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.startsWith("x-amz-") || n.equals("authorization")) {
                headers.remove(name);
            }
        }
        // S3 stores these with the object and serves them back to every reader: a client must not choose them
        headers.remove("Content-Disposition");
        String type = headers.get(HttpHeaders.CONTENT_TYPE);
        if (type != null && !CHART_TYPES.contains(type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT))) {
            headers.set(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
        }
        if (spooledBody == null && method == HttpMethod.PUT && request.request().getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            throw new UpstreamException(UpstreamException.Kind.BAD_REQUEST, "uploads to S3 need a Content-Length");
        }
        sign(options, method, basePath + "/" + encodeKey(key), spooledBody);
    }

    /** A signed HEAD of the bucket itself (S3's HeadBucket): 200 when it exists and the gateway's keys may use it. */
    @Override
    public void shapeProbe(RequestOptions options) {
        sign(options.setMethod(HttpMethod.HEAD), HttpMethod.HEAD, basePath.isEmpty() ? "/" : basePath, null);
    }

    @Override
    public String probeProblem(int status) {
        return switch (status) {
            case 200 -> null;
            case 403 -> "the bucket refused the gateway's credentials (403); check the route's keys and permissions";
            case 404 -> "no bucket " + config.bucket() + " at the endpoint (404)";
            case 301, 400 -> "the bucket answered " + status + " (another region or endpoint?)";
            default -> "the bucket answered " + status;
        };
    }

    /** Signs {@code method path} with SigV4 into {@code options}' headers, hashing the spooled body when there is one. */
    private void sign(RequestOptions options, HttpMethod method, String path, Path spooledBody) {
        MultiMap headers = options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
        options.setHeaders(headers);
        SdkHttpRequest unsigned = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method.name()))
                .protocol(scheme).host(host).port(port)
                .encodedPath(path)
                .build();
        SignedRequest signed = SIGNER.sign(r -> {
            r.identity(credentials).request(unsigned)
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, config.region())
                    .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                    .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, spooledBody != null);
            if (spooledBody != null) {
                // the signer reads the spooled file to hash it; this runs on a worker thread
                r.payload(() -> {
                    try {
                        return Files.newInputStream(spooledBody);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        });
        for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
            if (!header.getKey().equalsIgnoreCase("host")) {
                headers.set(header.getKey(), header.getValue().get(0));
            }
        }
        headers.set(HttpHeaders.HOST, hostHeader);
        options.setHost(host).setPort(port).setURI(path);
    }

    /** S3 answers 403 when the signature, the keys or the bucket policy refuse the gateway, never the client. */
    @Override
    public boolean credentialsRefused(int status) {
        return status == 403;
    }

    /** The query less presigned-URL parameters, which only a client could have added. */
    private static String remainingQuery(String target) {
        int q = target.indexOf('?');
        if (q < 0) {
            return "";
        }
        List<String> kept = new ArrayList<>();
        for (String param : target.substring(q + 1).split("&")) {
            String name = param.split("=", 2)[0].toLowerCase(Locale.ROOT);
            if (!param.isEmpty() && !name.startsWith("x-amz-") && !name.equals("signature") && !name.equals("awsaccesskeyid")
                    && !name.equals("expires")) {
                kept.add(param);
            }
        }
        return String.join("&", kept);
    }

    /** Every byte but the unreserved ones and '/' percent-encoded, as SigV4 and S3 expect for object keys. */
    static String encodeKey(String key) {
        StringBuilder out = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
                    || c == '~' || c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
