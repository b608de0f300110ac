package io.chartgate.upstream.http;

import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.UpstreamAuth;
import io.chartgate.upstream.BoundedBody;
import io.chartgate.upstream.ClientSend;
import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.impl.ConnectionBase;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * An HTTP(S) upstream: streams the request and the response with backpressure both ways, and timeouts; and fetches
 * index files for the index step. A plain-HTTP exchange is relayed at Netty's level on the client request's event
 * loop ({@link RelayExchange}, connections pooled per loop by {@link RelayPool}); https upstreams, spooled uploads,
 * index fetches and probes take a pooled keep-alive Vert.x client. Its {@link RequestShaper} decides the path,
 * Host and credentials: the URL's path and basic/bearer auth for an {@code http} route, the object key and a
 * SigV4 signature for an {@code s3} one (see {@link #s3}).
 */
public final class HttpUpstream implements Upstream {

    /** Upstream connections per route: beyond any realistic number of requests in flight on one gateway. */
    static final int MAX_CONNECTIONS = 4096;
    /** The largest response head an upstream may send. */
    static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final HttpUpstreamConfig config;
    private final HttpClient client;
    private final String host;
    private final int port;
    private final String basePath;
    private final String hostHeader;
    private final String authorization;
    private final List<String> indexBases;
    private final RequestShaper shaper;
    /** Bytes the route's spooled uploads hold on the temporary disk now, bounded by {@code spoolMaxBytes}. */
    private final AtomicLong spooled = new AtomicLong();
    private final long spoolMaxBytes;
    /** Streams plain-HTTP exchanges at Netty's level; null for an https upstream (the Vert.x client does TLS). */
    private final RelayPool relay;

    public HttpUpstream(Vertx vertx, HttpUpstreamConfig config) {
        this(vertx, config, List.of(config.url().toString()), null, Long.MAX_VALUE);
    }


    /**
     * An upstream that speaks HTTP with a shaper of its own ({@code upstream.s3.S3Upstream} builds S3's).
     *
     * @param shaper null for the plain HTTP shaper made from {@code config} (its URL, auth and Host)
     */
    public HttpUpstream(Vertx vertx, HttpUpstreamConfig config, List<String> indexBases, RequestShaper shaper,
            long spoolMaxBytes) {
        this.vertx = vertx;
        this.spoolMaxBytes = spoolMaxBytes;
        this.indexBases = List.copyOf(indexBases);
        this.shaper = shaper != null ? shaper : new PlainHttp();
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
                .setMaxHeaderSize(MAX_RESPONSE_HEADER_BYTES)
                .setSsl(https)
                .setVerifyHost(https);
        if (https && config.caFile() != null) {
            // the file was loaded and checked by CompiledConfig before this adapter exists
            options.setTrustOptions(new PemTrustOptions().addCertPath(config.caFile().toString()));
        }
        // One upstream connection per request in flight (HTTP/1.1 has no multiplexing): a small pool would make
        // the requests beyond it wait behind slow downloads and fail after connectTimeoutMs. Idle connections are
        // kept for reuse and closed after Vert.x's keep-alive timeout.
        this.client = vertx.httpClientBuilder()
                .with(options)
                .with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS))
                .withConnectHandler(HttpUpstream::oneReadPerWakeup)
                .build();
        this.relay = https ? null : new RelayPool((VertxInternal) vertx, host, port, config.connectTimeoutMs(), MAX_CONNECTIONS);
    }

    /**
     * Netty reads up to 16 times (up to 64 KiB each) per wake-up of a connection before it looks at whether the
     * stream was paused; a download to a slow client then holds up to 1 MiB per upstream connection in the
     * gateway's direct memory, and 200 such downloads exhausted a 256 MiB gateway's and stalled them all
     * ({@code load-tests/run --memory}). One read per wake-up bounds it to one read; large bodies lost no
     * measurable speed. Reaches into Vert.x internals ({@code ConnectionBase#channel}) like
     * {@code StrictRequestDecoder}; without them the default stays, which is only less frugal.
     */
    private static void oneReadPerWakeup(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            base.channel().config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(1));
        }
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
        try {
            if (upstream.spooledBody() != null) {
                return sendFile(upstream, upstream.spooledBody());
            }
            if (shaper.spoolsBodies() && ResponseRelay.hasBody(request)) {
                return forwardSpooled(upstream);
            }
            RequestOptions options = options(upstream, request.method(), null);
            Future<Void> relayed = relay(upstream, options);
            if (relayed != null) {
                return relayed;
            }
            return send(options, out -> ResponseRelay.sendBody(upstream, out))
                    .compose(response -> ResponseRelay.relay(request, response));
        } catch (UpstreamException refused) {
            return Future.failedFuture(refused);
        }
    }

    /**
     * Streams the exchange through {@link RelayExchange} on the client request's own event loop; null when it must
     * take the Vert.x client instead: an https upstream, or a request not on its connection's event loop.
     */
    private Future<Void> relay(UpstreamRequest upstream, RequestOptions options) {
        HttpServerRequest request = upstream.request();
        if (relay == null || !(request.connection() instanceof ConnectionBase connection)
                || !(request instanceof HttpServerRequestInternal internal)) {
            return null;
        }
        EventLoop loop = connection.channel().eventLoop();
        ContextInternal context = internal.context();
        if (!loop.inEventLoop() || context.nettyEventLoop() != loop) {
            return null;
        }
        return new RelayExchange(relay, upstream, options, shaper, config.responseTimeoutMs(), context, connection.channel())
                .start();
    }

    /**
     * An upload whose payload must be signed: the body goes to a temporary file first (bounded by
     * {@code maxBodyBytes}, never memory), is signed there, sent from it, and the file is deleted.
     */
    private Future<Void> forwardSpooled(UpstreamRequest upstream) {
        HttpServerRequest request = upstream.request();
        // what this upload may hold on the temporary disk: its declared length, else as much as any body may be
        long size = upstream.maxBodyBytes();
        try {
            String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
            size = declared != null ? Long.parseLong(declared.trim()) : size;
        } catch (NumberFormatException e) {
            // the codec refuses a malformed length before this; the bound stays the largest body
        }
        long reserved = size;
        if (spooled.addAndGet(reserved) > spoolMaxBytes) {
            spooled.addAndGet(-reserved);
            return Future.failedFuture(new UpstreamException(UpstreamException.Kind.OVERLOADED,
                    "the spool for signed S3 uploads is full (spoolMaxBytes: " + spoolMaxBytes + " bytes); try again"));
        }
        return spool(upstream).eventually(() -> {
            spooled.addAndGet(-reserved);
            return Future.succeededFuture();
        });
    }

    private Future<Void> spool(UpstreamRequest upstream) {
        HttpServerRequest request = upstream.request();
        return vertx.fileSystem().createTempFile("chartgate-spool-", ".body").compose(path -> {
            Future<Void> exchange = vertx.fileSystem().open(path, new OpenOptions().setWrite(true).setTruncateExisting(true))
                    .compose(file -> {
                        if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
                            request.response().writeContinue();
                        }
                        return ResponseRelay.body(upstream).pipeTo(file);
                    })
                    .compose(spooled -> sendFile(upstream, Path.of(path)));
            return exchange.eventually(() -> vertx.fileSystem().delete(path).otherwiseEmpty());
        });
    }

    /** Sends a body read whole into {@code file} (signed from it where the shaper signs payloads); the caller deletes it. */
    private Future<Void> sendFile(UpstreamRequest upstream, Path file) {
        HttpServerRequest request = upstream.request();
        return vertx.executeBlocking(() -> options(upstream, request.method(), shaper.spoolsBodies() ? file : null), false)
                .compose(options -> vertx.fileSystem().props(file.toString()).compose(props -> send(options, out -> {
                    out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(props.size()));
                    out.headers().remove(HttpHeaders.TRANSFER_ENCODING);
                    return vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true))
                            .compose(body -> body.pipeTo(out));
                })))
                .compose(response -> ResponseRelay.relay(request, response));
    }

    private RequestOptions options(UpstreamRequest upstream, HttpMethod method, Path spooledBody) {
        RequestOptions options = new RequestOptions()
                .setMethod(method)
                .setHost(host)
                .setPort(port)
                .setHeaders(upstream.headers())
                .setConnectTimeout(config.connectTimeoutMs());
        shaper.shape(options, upstream, method, spooledBody);
        return options;
    }

    /**
     * A plain HTTP upstream: the URL's path before the target, the gateway's basic or bearer credentials; its
     * probe is a HEAD of the URL, and any answer means it is up (a 404 or 401 too: it is alive).
     */
    private final class PlainHttp implements RequestShaper {
        @Override
        public void shape(RequestOptions options, UpstreamRequest upstream, HttpMethod method, Path spooledBody) {
            credentials(options);
            options.setURI(basePath + upstream.target());
        }

        @Override
        public void shapeProbe(RequestOptions options) {
            credentials(options);
            options.setURI(basePath.isEmpty() ? "/" : basePath);
        }

        private void credentials(RequestOptions options) {
            MultiMap headers = options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
            options.setHeaders(headers);
            headers.set(HttpHeaders.HOST, hostHeader);
            if (authorization != null) {
                headers.set(HttpHeaders.AUTHORIZATION, authorization);
            } else {
                headers.remove(HttpHeaders.AUTHORIZATION);
            }
        }
    }

    /**
     * One HEAD to the upstream on the route's own client (its pool, its CA), shaped as the kind wants it: the
     * URL for http, a signed HeadBucket for s3. Fails with why the upstream is not ready.
     */
    @Override
    public Future<Void> probe() {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.HEAD).setHost(host).setPort(port)
                .setConnectTimeout(config.connectTimeoutMs()).setIdleTimeout(config.connectTimeoutMs());
        try {
            shaper.shapeProbe(options);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return client.request(options)
                .compose(HttpClientRequest::send)
                .compose(response -> response.end().map(v -> response.statusCode()))
                .transform(ar -> {
                    if (ar.failed()) {
                        return Future.failedFuture(new IllegalStateException(ClientSend.describe(ar.cause())));
                    }
                    String problem = shaper.probeProblem(ar.result());
                    return problem == null ? Future.succeededFuture() : Future.failedFuture(new IllegalStateException(problem));
                });
    }

    /**
     * Sends one request and waits for the response headers: {@code connectTimeoutMs} to get a connection,
     * then {@code responseTimeoutMs} from the end of the request body. Fails with an {@link UpstreamException}.
     */
    private Future<HttpClientResponse> send(RequestOptions options, Function<HttpClientRequest, Future<Void>> body) {
        return ClientSend.send(vertx, client, options, body, config.responseTimeoutMs(), "upstream",
                shaper::credentialsRefused);
    }

    @Override
    public List<String> indexBases() {
        return indexBases;
    }

    /**
     * One GET of an index file, without the client's query, conditional headers, ranges or encodings (the step
     * keys and validates its copy itself). A 304 is read to its end so the connection goes back to the pool.
     */
    @Override
    public Future<IndexFetch> fetchIndex(IndexFetch.Request fetch) {
        UpstreamRequest original = fetch.upstream();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(original.headers());
        for (String name : CONDITIONAL) {
            headers.remove(name);
        }
        if (fetch.etag() != null) {
            headers.set(HttpHeaders.IF_NONE_MATCH, fetch.etag());
        } else if (fetch.lastModified() != null) {
            headers.set(HttpHeaders.IF_MODIFIED_SINCE, fetch.lastModified());
        }
        String target = original.target();
        int query = target.indexOf('?');
        UpstreamRequest plain = new UpstreamRequest(original.request(), original.path(),
                query < 0 ? target : target.substring(0, query), headers, 0, n -> { });
        try {
            return send(options(plain, HttpMethod.GET, null), HttpClientRequest::end).compose(response -> {
                if (response.statusCode() == 304) {
                    return response.end().map(v -> (IndexFetch) new IndexFetch.NotModified());
                }
                return BoundedBody.read(response, fetch, vertx, config.responseTimeoutMs()).map(body -> {
                    if (response.statusCode() == 200) {
                        // the body's reservation goes on with it
                        return new IndexFetch.Fresh(body, response.getHeader(HttpHeaders.CONTENT_ENCODING),
                                response.getHeader(HttpHeaders.ETAG), response.getHeader(HttpHeaders.LAST_MODIFIED),
                                response.getHeader(HttpHeaders.CONTENT_TYPE));
                    }
                    fetch.budget().release().accept(body.length);
                    return new IndexFetch.Other(response.statusCode(), response.statusMessage(),
                            MultiMap.caseInsensitiveMultiMap().addAll(response.headers()), body);
                });
            });
        } catch (UpstreamException refused) {
            return Future.failedFuture(refused);
        }
    }

    /** Request headers an index fetch never passes on: the step answers conditionals and ranges from its copy. */
    private static final List<String> CONDITIONAL = List.of("If-None-Match", "If-Modified-Since", "If-Match",
            "If-Unmodified-Since", "If-Range", "Range", "Accept-Encoding");

    @Override
    public void close() {
        if (relay != null) {
            relay.close();
        }
        client.close();
    }
}
