package io.chartgate.upstream.oci;

import io.chartgate.config.OciUpstreamConfig;
import io.chartgate.metrics.UpstreamFailure;
import io.chartgate.upstream.ClientSend;
import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OCI registry. The request goes on with its path unchanged, the client's credentials dropped and the
 * gateway's own added ({@link RegistryCredentials}); bodies stream both ways. In the response, every URL the
 * registry gives for its own API ({@code Location} of an upload session or a pushed blob, {@code Link} of the
 * next page) becomes a path on the gateway, so no client byte goes around it, and its challenges never reach
 * the client: a 401 means the registry refused the gateway's credentials, a 502.
 */
public final class OciUpstream implements Upstream {

    /** Upstream connections: one per request in flight, as for {@code http} routes. */
    private static final int MAX_CONNECTIONS = 4096;
    private static final Pattern LINK_TARGET = Pattern.compile("<([^>]*)>");

    private final Vertx vertx;
    private final OciUpstreamConfig config;
    private final HttpClient client;
    private final String host;
    private final int port;
    private final String origin;
    private final String hostHeader;
    private final RegistryCredentials credentials;
    private final RegistryIndex index;

    public OciUpstream(Vertx vertx, OciUpstreamConfig config) {
        this.vertx = vertx;
        this.config = config;
        URI url = config.url();
        boolean https = url.getScheme().equalsIgnoreCase("https");
        this.host = url.getHost();
        this.port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        this.hostHeader = url.getPort() > 0 ? host + ":" + port : host;
        this.origin = url.getScheme().toLowerCase(Locale.ROOT) + "://" + hostHeader.toLowerCase(Locale.ROOT);
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setConnectTimeout(config.connectTimeoutMs())
                .setMaxHeaderSize(64 * 1024)
                .setSsl(https)
                .setVerifyHost(true);
        if (config.caFile() != null) {
            // checked by CompiledConfig before this adapter exists; it also trusts an https token realm
            options.setTrustOptions(new PemTrustOptions().addCertPath(config.caFile().toString()));
        }
        this.client = vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS)).build();
        this.credentials = new RegistryCredentials(client, URI.create(origin), config.auth(), config.connectTimeoutMs());
        this.index = new RegistryIndex(get -> small(get, true));
    }

    /**
     * Every repository the registry lists ({@code _catalog}, all pages, with the gateway's credentials), for the
     * gateway's own filtered catalog.
     */
    public Future<List<String>> catalog() {
        return index.repositories("");
    }

    @Override
    public Future<Void> forward(UpstreamRequest upstream) {
        Matcher chart = RegistryIndex.CHART_FILE.matcher(upstream.path());
        if (chart.matches()) {
            return chart(upstream, chart.group(1), chart.group(2), chart.group(3).endsWith(".prov"));
        }
        return attempt(upstream, upstream.registryScopes(), true);
    }

    /**
     * A chart file of the synthesized index: the manifest (by digest, so what the index listed) names the chart
     * or provenance layer, whose blob is then streamed like any pull. A manifest without one is a 404.
     */
    private Future<Void> chart(UpstreamRequest upstream, String repository, String manifestDigest, boolean provenance) {
        String scope = "repository:" + repository + ":pull";
        return small(new RegistryIndex.SmallGet("/v2/" + repository + "/manifests/" + manifestDigest,
                RegistryIndex.MANIFEST_ACCEPT, scope), true).compose(manifest -> {
                    String layer = null;
                    if (manifest.status() == 200) {
                        try {
                            JsonObject json = new JsonObject(manifest.body());
                            JsonObject config = json.getJsonObject("config");
                            if (config != null && RegistryIndex.CONFIG_TYPE.equals(config.getString("mediaType"))) {
                                layer = RegistryIndex.layer(json, provenance ? RegistryIndex.PROV_TYPE : RegistryIndex.CHART_TYPE);
                            }
                        } catch (RuntimeException e) {
                            layer = null;
                        }
                    } else if (manifest.status() != 404) {
                        return Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX,
                                "the registry answered " + manifest.status() + " to the chart's manifest"));
                    }
                    if (layer == null || !layer.matches("sha256:[a-f0-9]{64}")) {
                        HttpServerResponse response = upstream.request().response();
                        response.setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
                        String body = new JsonObject().put("errors", new io.vertx.core.json.JsonArray().add(new JsonObject()
                                .put("code", "BLOB_UNKNOWN").put("message", (provenance ? "no provenance" : "no chart")
                                        + " in manifest " + manifestDigest + " of " + repository))).encode();
                        return upstream.request().method() == HttpMethod.HEAD
                                ? response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length())).end()
                                : response.end(body);
                    }
                    String blob = "/v2/" + repository + "/blobs/" + layer;
                    UpstreamRequest get = new UpstreamRequest(upstream.request(), blob, blob, upstream.headers(),
                            upstream.maxBodyBytes(), upstream.bytesIn(), null, List.of(scope));
                    return attempt(get, get.registryScopes(), true);
                });
    }

    /**
     * One small GET with the gateway's credentials, its body read whole (at most {@link RegistryIndex#MAX_SMALL}):
     * a listing, a manifest, a chart's config. A 401 asks for fresh credentials once.
     */
    private Future<RegistryIndex.Small> small(RegistryIndex.SmallGet get, boolean mayRetry) {
        List<String> scopes = List.of(get.scope());
        return credentials.authorization(scopes)
                .recover(cause -> Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.CONNECT,
                        "the gateway could not authenticate to the registry", cause.getMessage())))
                .compose(authorization -> {
                    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
                            .setURI(get.uri()).setConnectTimeout(config.connectTimeoutMs())
                            .setIdleTimeout(config.responseTimeoutMs());
                    options.putHeader(HttpHeaders.HOST, hostHeader);
                    if (get.accept() != null) {
                        options.putHeader(HttpHeaders.ACCEPT, get.accept());
                    }
                    if (authorization != null) {
                        options.putHeader(HttpHeaders.AUTHORIZATION, authorization);
                    }
                    return client.request(options).compose(HttpClientRequest::send).compose(response -> {
                        Promise<RegistryIndex.Small> done = Promise.promise();
                        Buffer collected = Buffer.buffer();
                        response.handler(chunk -> {
                            if (collected.length() + chunk.length() > RegistryIndex.MAX_SMALL) {
                                done.tryFail(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, null,
                                        "the registry's answer to GET " + get.uri().split("\\?")[0] + " is too large"));
                                response.request().reset();
                            } else {
                                collected.appendBuffer(chunk);
                            }
                        });
                        response.exceptionHandler(done::tryFail);
                        response.endHandler(v -> done.tryComplete(new RegistryIndex.Small(response.statusCode(),
                                response.getHeader("Docker-Content-Digest"), response.getHeader("Link"), collected)));
                        return done.future();
                    }, cause -> Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.CONNECT,
                            "the registry cannot be reached", ClientSend.describe(cause))));
                })
                .compose(answer -> {
                    if (answer.status() != 401) {
                        return Future.succeededFuture(answer);
                    }
                    credentials.refused(scopes);
                    return mayRetry ? small(get, false) : Future.failedFuture(new UpstreamException(
                            UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX,
                            "the registry refused the gateway's own credentials (401); check the route's auth"));
                });
    }

    private Future<Void> attempt(UpstreamRequest upstream, List<String> scopes, boolean mayRetry) {
        return credentials.authorization(scopes)
                .recover(cause -> Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.CONNECT,
                        "the gateway could not authenticate to the registry", cause.getMessage())))
                .compose(authorization -> send(upstream, authorization))
                .compose(response -> {
                    if (response.statusCode() != 401) {
                        return ResponseRelay.relay(upstream.request(), response, this::pointAtGateway);
                    }
                    credentials.refused(scopes);
                    response.request().reset();
                    if (mayRetry && !ResponseRelay.hasBody(upstream.request())) {
                        // an expired token or a registry that changed its mind: once more with fresh credentials
                        return attempt(upstream, scopes, false);
                    }
                    return Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX,
                            "the registry refused the gateway's own credentials (401); check the route's auth"));
                });
    }

    /**
     * The token scopes a request needs, as the registry itself would ask for them: pull for reads, pull and push
     * for writes, delete for deletions; a mount also pulls from its sources.
     */
    public static List<String> scopes(String repository, String method, boolean write, List<String> mountSources) {
        if (repository == null) {
            return List.of();
        }
        String actions = method.equals("DELETE") ? "delete" : write ? "pull,push" : "pull";
        List<String> scopes = new ArrayList<>();
        scopes.add("repository:" + repository + ":" + actions);
        for (String source : mountSources) {
            scopes.add("repository:" + source + ":pull");
        }
        return scopes;
    }

    /** Sends the request (streaming its body) and waits for the response headers within the timeouts. */
    private Future<HttpClientResponse> send(UpstreamRequest upstream, String authorization) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(upstream.headers());
        headers.set(HttpHeaders.HOST, hostHeader);
        // the client's credentials are for the gateway (it has none to give); the registry sees only the gateway's
        headers.remove(HttpHeaders.AUTHORIZATION);
        if (authorization != null) {
            headers.set(HttpHeaders.AUTHORIZATION, authorization);
        }
        RequestOptions options = new RequestOptions().setMethod(upstream.request().method()).setHost(host).setPort(port)
                .setURI(upstream.target()).setHeaders(headers).setConnectTimeout(config.connectTimeoutMs());
        return ClientSend.send(vertx, client, options, out -> ResponseRelay.sendBody(upstream, out),
                config.responseTimeoutMs(), "registry", null);
    }

    /**
     * Makes the response's URLs the gateway's and drops the registry's challenges. An absolute URL is made a
     * path when it is the registry's origin or names the API ({@code /v2/…}, which is what a registry
     * configured with another public name or reading {@code X-Forwarded-Host} builds); a storage redirect
     * elsewhere stays as it is.
     */
    void pointAtGateway(MultiMap headers) {
        headers.remove("WWW-Authenticate");
        String location = headers.get(HttpHeaders.LOCATION);
        if (location != null) {
            headers.set(HttpHeaders.LOCATION, local(location));
        }
        List<String> links = headers.getAll("Link");
        if (!links.isEmpty()) {
            List<String> rewritten = new ArrayList<>();
            for (String link : links) {
                Matcher m = LINK_TARGET.matcher(link);
                StringBuilder out = new StringBuilder();
                while (m.find()) {
                    m.appendReplacement(out, Matcher.quoteReplacement("<" + local(m.group(1)) + ">"));
                }
                m.appendTail(out);
                rewritten.add(out.toString());
            }
            headers.remove("Link");
            headers.add("Link", rewritten);
        }
    }

    /** {@code http://registry:5000/v2/x?y} becomes {@code /v2/x?y}, the query byte for byte. */
    String local(String url) {
        int scheme = url.indexOf("://");
        if (scheme <= 0 || !url.substring(0, scheme).matches("(?i)https?")) {
            return url;
        }
        int slash = url.indexOf('/', scheme + 3);
        String authority = (slash < 0 ? url.substring(0, url.length()) : url.substring(0, slash)).toLowerCase(Locale.ROOT);
        String rest = slash < 0 ? "/" : url.substring(slash);
        boolean ours = authority.equals(origin);
        boolean api = rest.equals("/v2") || rest.startsWith("/v2/") || rest.startsWith("/v2?");
        return ours || api ? rest : url;
    }

    @Override
    public Future<IndexFetch> fetchIndex(IndexFetch.Request request) {
        return index.fetch(request);
    }

    /** {@code GET /v2/} without credentials: 200, or 401 (it wants credentials), means the registry is up. */
    @Override
    public Future<Void> probe() {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI("/v2/")
                .setConnectTimeout(config.connectTimeoutMs()).setIdleTimeout(config.connectTimeoutMs());
        options.putHeader(HttpHeaders.HOST, hostHeader);
        return client.request(options)
                .compose(HttpClientRequest::send)
                .compose(response -> response.end().map(v -> response.statusCode()))
                .transform(ar -> {
                    if (ar.failed()) {
                        return Future.failedFuture(new IllegalStateException(ClientSend.describe(ar.cause())));
                    }
                    int status = ar.result();
                    return status == 200 || status == 401 ? Future.succeededFuture()
                            : Future.failedFuture(new IllegalStateException("GET /v2/ answered " + status
                                    + " (expected 200, or 401 from a registry that wants credentials)"));
                });
    }

    @Override
    public void close() {
        client.close();
    }
}
