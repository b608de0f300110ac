package io.chartgate.upstream.http;

import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.UpstreamAuth;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An HTTP(S) upstream: replaces the route prefix with the URL's path, adds the gateway's credentials, and
 * streams the request and the response through a pooled keep-alive client, with backpressure both ways.
 */
public final class HttpUpstream implements Upstream {

    private final Vertx vertx;
    private final HttpUpstreamConfig config;
    private final HttpClient client;
    private final String host;
    private final int port;
    private final String basePath;
    private final String hostHeader;
    private final String authorization;

    public HttpUpstream(Vertx vertx, HttpUpstreamConfig config) {
        this.vertx = vertx;
        this.config = config;
        URI url = config.url();
        boolean https = url.getScheme().equalsIgnoreCase("https");
        this.host = url.getHost();
        this.port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.hostHeader = url.getPort() > 0 ? host + ":" + port : host;
        this.authorization = authorization(config.auth());
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setConnectTimeout(config.connectTimeoutMs())
                .setMaxHeaderSize(64 * 1024)
                .setSsl(https)
                .setVerifyHost(https);
        if (https && config.caFile() != null) {
            // the file was loaded and checked by CompiledConfig before this adapter exists
            options.setTrustOptions(new PemTrustOptions().addCertPath(config.caFile().toString()));
        }
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(64));
    }

    private static String authorization(UpstreamAuth auth) {
        if (auth instanceof UpstreamAuth.Basic basic) {
            String pair = basic.username() + ":" + basic.password().reveal();
            return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
        }
        if (auth instanceof UpstreamAuth.Bearer bearer) {
            return "Bearer " + bearer.token().reveal();
        }
        return null;
    }

    @Override
    public Future<Void> forward(UpstreamRequest upstream) {
        HttpServerRequest request = upstream.request();
        MultiMap headers = upstream.headers();
        headers.set(HttpHeaders.HOST, hostHeader);
        if (authorization != null) {
            headers.set(HttpHeaders.AUTHORIZATION, authorization);
        } else {
            headers.remove(HttpHeaders.AUTHORIZATION);
        }
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(host)
                .setPort(port)
                .setURI(basePath + upstream.target())
                .setHeaders(headers)
                .setConnectTimeout(config.connectTimeoutMs());
        Promise<Void> done = Promise.promise();
        client.request(options).onComplete(ar -> {
            if (ar.failed()) {
                done.tryFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
                        "the upstream cannot be reached (" + describe(ar.cause()) + ")"));
                return;
            }
            HttpClientRequest outgoing = ar.result();
            // responseTimeoutMs runs from the end of the request body to the response headers
            long[] timer = {-1};
            ResponseRelay.sendBody(upstream, outgoing).onComplete(sent -> {
                if (sent.succeeded()) {
                    if (!outgoing.response().isComplete()) {
                        timer[0] = vertx.setTimer(config.responseTimeoutMs(), id -> {
                            done.tryFail(new UpstreamException(UpstreamException.Kind.TIMEOUT,
                                    "the upstream did not answer within " + config.responseTimeoutMs() + " ms"));
                            outgoing.reset();
                        });
                    }
                    return;
                }
                // fail first: the reset below also fails the response future, which must not win.
                // A client that goes away mid-upload ends up here too, so no partial chart is stored.
                if (sent.cause() instanceof UpstreamException e) {
                    done.tryFail(e);
                }
                outgoing.reset();
            });
            outgoing.response().onComplete(response -> {
                vertx.cancelTimer(timer[0]);
                if (done.future().isComplete()) {
                    if (response.succeeded()) {
                        response.result().request().reset();
                    }
                    return;
                }
                if (response.failed()) {
                    done.tryFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
                            "the upstream closed the connection (" + describe(response.cause()) + ")"));
                    return;
                }
                ResponseRelay.relay(request, response.result()).onComplete(relayed -> done.tryComplete());
            });
        });
        return done.future();
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        client.close();
    }
}
