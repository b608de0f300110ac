package io.chartgate.proxy;

import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.IndexOptions;
import io.chartgate.config.Limits;
import io.chartgate.config.OciUpstreamConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.config.UpstreamConfig;
import io.chartgate.helm.Gzip;
import io.chartgate.helm.IndexCache;
import io.chartgate.helm.IndexDocument;
import io.chartgate.helm.IndexRewriter;
import io.chartgate.helm.PublicBase;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.policy.Access;
import io.chartgate.policy.CanonicalPath;
import io.chartgate.policy.OciRequest;
import io.chartgate.policy.Policy;
import io.chartgate.upstream.BoundedBody;
import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.Router;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The index step of the request's way, the same for every upstream kind: a GET or HEAD of an {@code index.yaml}
 * is answered from the {@link IndexCache} — the upstream's index, fetched once per version (revalidated at most
 * every {@code indexRevalidateMillis}, concurrent misses coalesced), decoded within {@code maxIndexBytes}, and
 * rendered once per view: its chart URLs pointed at the gateway and, with {@code filterIndex}, only the versions
 * the caller may read. Served with the view's own ETag (304 on a match), from memory in slices that follow the
 * client's pace. Any other upstream answer (a 404, say) is relayed as it came.
 */
public final class IndexStep {

    /** Index files kept at once, whatever their size: a caller varying the path churns at most this many. */
    static final int MAX_INDEXES = 1024;
    /** Views kept per index (public bases times rule sets). */
    static final int MAX_VIEWS = 32;
    /** Indexes larger than this are parsed and rendered on a worker thread rather than the event loop. */
    private static final int INLINE_BYTES = 256 * 1024;
    /** Slice written per turn: the client's connection takes the next one when it has room. */
    private static final int SLICE = 64 * 1024;

    private final Vertx vertx;
    private final IndexCache cache;
    private final PublicBase publicBase;
    private final Map<String, List<String>> bases;
    private final long maxIndexBytes;
    /** Per route name, what its upstream is (its configuration): routes to the same upstream see each other's writes. */
    private final Map<String, String> upstreamOf;
    /** Which route a chart URL of an index made from a registry reaches: it is listed only when it is the index's own. */
    private final Router router;

    /**
     * @param bases per route name, the upstream's own URL bases plus its {@code indexUrlPrefixes}
     * @param serverNames the server certificate's names, for {@link PublicBase}
     */
    public IndexStep(Vertx vertx, Limits limits, URI publicUrl, List<String> serverNames, List<RouteConfig> routes,
            Map<String, List<String>> bases) {
        this.vertx = vertx;
        this.cache = new IndexCache(limits.indexCacheBytes(), MAX_INDEXES, MAX_VIEWS,
                TimeUnit.MILLISECONDS.toNanos(limits.indexRevalidateMillis()), System::nanoTime);
        this.publicBase = new PublicBase(publicUrl, serverNames);
        this.bases = Map.copyOf(bases);
        this.maxIndexBytes = limits.maxIndexBytes();
        Map<String, String> upstreams = new HashMap<>();
        routes.forEach(route -> upstreams.put(route.name(), origin(route.upstream())));
        this.upstreamOf = Map.copyOf(upstreams);
        this.router = new Router(routes);
    }

    /** Which server a route's requests reach: routes with the same one see each other's writes. */
    private static String origin(UpstreamConfig upstream) {
        return upstream.match(new UpstreamConfig.Kinds<String>() {
            @Override
            public String http(HttpUpstreamConfig http) {
                URI url = http.url();
                return "http " + url.getScheme().toLowerCase(Locale.ROOT) + "://" + url.getRawAuthority().toLowerCase(Locale.ROOT);
            }

            @Override
            public String s3(S3UpstreamConfig s3) {
                return "s3 " + s3.endpoint() + " " + s3.bucket();
            }

            @Override
            public String file(FileUpstreamConfig file) {
                return "file " + file.dir();
            }

            @Override
            public String oci(OciUpstreamConfig oci) {
                return "oci " + oci.url();
            }
        });
    }

    /**
     * A write went through {@code route}: its indexes, and those of every route to the same upstream (ChartMuseum's
     * API and its repository on two prefixes, say), are asked for upstream on the next request.
     */
    public void written(String route) {
        String upstream = upstreamOf.get(route);
        upstreamOf.forEach((name, same) -> {
            if (name.equals(route) || same.equals(upstream)) {
                cache.invalidate(name);
            }
        });
    }

    public IndexCache cache() {
        return cache;
    }

    /**
     * Answers one index request. Fails with an {@link UpstreamException} when the gateway must answer with an
     * error (nothing was sent yet).
     *
     * @param gatewayPath the request's canonical path, percent-encoded (the index's own path through the gateway)
     * @param atFinish takes what must run when the exchange ends however it ends (a closed connection included)
     */
    public Future<Void> serve(UpstreamRequest forward, RouteConfig route, Upstream upstream, String gatewayPath,
            ClientIdentity identity, Policy policy, Consumer<Runnable> atFinish) {
        HttpServerRequest request = forward.request();
        IndexOptions options = route.upstream().index();
        String base = publicBase.of(request.getHeader(HttpHeaders.HOST));
        IndexCache.Key key = new IndexCache.Key(route.name(), forward.path());
        // an oci route's index is made from the registry, always per caller: it lists only what it may pull
        boolean oci = route.upstream() instanceof OciUpstreamConfig;
        Policy.Grants grants = options.filter() || oci ? policy.grants(identity) : null;
        String viewKey = base + "\n" + (grants == null ? "*" : grants.key());
        // the bases map chart URLs to gateway paths for filtering even where they are not rewritten
        IndexRewriter rewriter = new IndexRewriter(bases.getOrDefault(route.name(), List.of()), base, route.prefix());
        return cache.source(key, stale -> load(forward, upstream, stale))
                .compose(source -> cache.view(key, source, viewKey,
                        s -> render(key, s, viewKey, rewriter, options.rewriteUrls(), grants, gatewayPath,
                                oci ? route.name() : null)))
                .compose(view -> send(request, key, view, atFinish))
                .recover(cause -> cause instanceof UpstreamAnswer answer ? relay(request, answer.other)
                        : Future.failedFuture(cause));
    }

    /** Fetches the index (conditionally when a copy is cached) and parses a new version. */
    private Future<IndexCache.Loaded> load(UpstreamRequest forward, Upstream upstream, IndexCache.Source stale) {
        IndexFetch.Budget budget = new IndexFetch.Budget(cache::reserve, cache::release);
        IndexFetch.Request fetch = new IndexFetch.Request(forward, stale == null ? null : stale.upstreamEtag(),
                stale == null ? null : stale.upstreamLastModified(), maxIndexBytes, budget);
        return upstream.fetchIndex(fetch).compose(answer -> {
            if (answer instanceof IndexFetch.NotModified) {
                return Future.succeededFuture(new IndexCache.Unchanged());
            }
            if (answer instanceof IndexFetch.Other other) {
                return Future.failedFuture(new UpstreamAnswer(other));
            }
            IndexFetch.Fresh fresh = (IndexFetch.Fresh) answer;
            return offLoopIfLarge(fresh.body().length, () -> {
                try {
                    return new IndexCache.Changed(parse(fresh));
                } finally {
                    cache.release(fresh.body().length);
                }
            });
        });
    }

    private IndexCache.Source parse(IndexFetch.Fresh fresh) {
        byte[] body = fresh.body();
        long decodedReservation = 0;
        try {
            String encoding = fresh.contentEncoding() == null ? "identity" : fresh.contentEncoding().trim().toLowerCase(Locale.ROOT);
            if (encoding.equals("gzip") || encoding.equals("x-gzip")) {
                Gzip.Decoded decoded = Gzip.decode(body, maxIndexBytes, cache::reserve, cache::release);
                body = decoded.bytes();
                decodedReservation = decoded.reserved();
            } else if (!encoding.equals("identity")) {
                throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
                        "the upstream's index file has an unsupported Content-Encoding (" + encoding + ")");
            }
            IndexDocument document = IndexDocument.parse(body);
            return new IndexCache.Source(document, fresh.etag(), fresh.lastModified(),
                    fresh.contentType() == null ? "application/x-yaml" : fresh.contentType(), digest(body));
        } catch (Gzip.LimitException e) {
            throw e.overloaded() ? BoundedBody.overloaded() : new UpstreamException(UpstreamException.Kind.UNAVAILABLE, e.getMessage());
        } catch (IOException e) {
            throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
                    "the upstream's index file cannot be parsed (" + e.getMessage() + ")");
        } finally {
            cache.release(decodedReservation);
        }
    }

    /** One view: URLs pointed at the gateway, and with grants only what they let the caller read. */
    private Future<IndexCache.Rendered> render(IndexCache.Key key, IndexCache.Source source, String viewKey,
            IndexRewriter rewriter, boolean rewrite, Policy.Grants grants, String gatewayPath, String ociRoute) {
        byte[] read = source.document().source();
        long size = read.length;
        // the source stays counted while it is read, even if the cache drops it meanwhile; the output is reserved
        if (!cache.lease(key, read)) {
            return Future.failedFuture(BoundedBody.overloaded());
        }
        if (!cache.reserve(size)) {
            cache.unlease(read);
            return Future.failedFuture(BoundedBody.overloaded());
        }
        Predicate<IndexDocument.Version> keep = grants == null ? version -> true
                : ociRoute != null ? firstPullable(rewriter, gatewayPath, grants, ociRoute)
                : version -> readable(version, rewriter, gatewayPath, grants);
        return offLoopIfLarge(size, () -> {
            try {
                IndexDocument.View view = source.document().render(rewrite ? rewriter::rewriteUrl : url -> url, keep);
                return new IndexCache.Rendered(view.body(), etag(source.digest(), viewKey), source.contentType(),
                        view.rewritten(), view.removed());
            } finally {
                cache.release(size);
                cache.unlease(read);
            }
        });
    }

    /**
     * Whether the caller may read every chart URL of a version that leads through the gateway. URLs elsewhere
     * are not judged; a URL the gateway would refuse as a path is not readable.
     */
    public static boolean readable(IndexDocument.Version version, IndexRewriter rewriter, String gatewayPath,
            Policy.Grants grants) {
        for (String url : version.urls()) {
            String path = rewriter.gatewayPath(url, gatewayPath);
            if (path == null) {
                continue;
            }
            CanonicalPath.Result parsed = CanonicalPath.parse(path);
            if (!(parsed instanceof CanonicalPath.Canonical canonical) || !grants.allows(Access.READ, canonical.path())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the caller may pull every chart URL of a version in an index made from a registry: each must be a
     * chart file of the OCI grammar on the same route, in a repository the caller may READ (or WRITE, which
     * implies it). Anything else is not listed.
     */
    /**
     * The versions of an index made from a registry that a caller's view keeps: those it may pull, and of a chart
     * version several repositories hold (the same chart file name), only the first. Stateful: one per render.
     */
    private Predicate<IndexDocument.Version> firstPullable(IndexRewriter rewriter, String gatewayPath, Policy.Grants grants,
            String route) {
        Set<String> kept = new HashSet<>();
        return version -> {
            if (!pullable(version, rewriter, gatewayPath, grants, route)) {
                return false;
            }
            String url = version.urls().get(0);
            return kept.add(version.chart() + "\n" + url.substring(url.lastIndexOf('/') + 1));
        };
    }

    private boolean pullable(IndexDocument.Version version, IndexRewriter rewriter, String gatewayPath,
            Policy.Grants grants, String route) {
        for (String url : version.urls()) {
            String path = rewriter.gatewayPath(url, gatewayPath);
            if (path == null || !(CanonicalPath.parse(path) instanceof CanonicalPath.Canonical canonical)
                    || !(OciRequest.parse("GET", canonical.path()) instanceof OciRequest.Parsed parsed)
                    || parsed.request().endpoint() != OciRequest.Endpoint.CHART
                    || !router.route(canonical.path().path()).map(r -> r.name().equals(route)).orElse(false)) {
                return false;
            }
            CanonicalPath repository = parsed.request().policyPath();
            if (!grants.allows(Access.READ, repository) && !grants.allows(Access.WRITE, repository)) {
                return false;
            }
        }
        return !version.urls().isEmpty();
    }

    private <T> Future<T> offLoopIfLarge(long size, Callable<T> work) {
        if (size <= INLINE_BYTES) {
            try {
                return Future.succeededFuture(work.call());
            } catch (Exception e) {
                return Future.failedFuture(e);
            }
        }
        return vertx.executeBlocking(work, false);
    }

    /**
     * Headers, then 304 or the body in slices, each written when the connection has room for it. The body is
     * leased from the cache until the last slice left (or the client went away), so a slow reader's copy is
     * counted even after the cache drops it; no room for it is a 503.
     */
    private Future<Void> send(HttpServerRequest request, IndexCache.Key key, IndexCache.Rendered view,
            Consumer<Runnable> atFinish) {
        HttpServerResponse response = request.response();
        if (response.closed()) {
            return Future.succeededFuture();
        }
        response.putHeader(HttpHeaders.ETAG, view.etag());
        response.putHeader(HttpHeaders.CONTENT_TYPE, view.contentType());
        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null && matches(ifNoneMatch, view.etag())) {
            return response.setStatusCode(304).end();
        }
        byte[] body = view.body();
        response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length));
        if (request.method() == HttpMethod.HEAD) {
            return response.end();
        }
        if (!cache.lease(key, body)) {
            response.headers().remove(HttpHeaders.ETAG).remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.CONTENT_TYPE);
            return Future.failedFuture(BoundedBody.overloaded());
        }
        AtomicBoolean leased = new AtomicBoolean(true);
        Runnable giveBack = () -> {
            if (leased.compareAndSet(true, false)) {
                cache.unlease(body);
            }
        };
        // the last slices may wait in the connection after end(): given back when they are written, or on close
        atFinish.accept(() -> {
            if (!response.ended()) {
                giveBack.run();
            }
        });
        Buffer whole = BufferInternal.buffer(Unpooled.wrappedBuffer(body));
        Promise<Void> done = Promise.promise();
        new Runnable() {
            private int at;

            @Override
            public void run() {
                while (at < body.length) {
                    if (response.closed()) {
                        giveBack.run();
                        done.tryComplete(); // the client went away; the access log counts it
                        return;
                    }
                    if (response.writeQueueFull()) {
                        response.drainHandler(v -> run());
                        return;
                    }
                    int end = Math.min(body.length, at + SLICE);
                    response.write(whole.slice(at, end));
                    at = end;
                }
                response.end().onComplete(ar -> {
                    giveBack.run();
                    done.handle(ar);
                });
            }
        }.run();
        return done.future();
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /** The upstream's answer was not an index (a 404, a 401): relayed as it came, body and all. */
    private static Future<Void> relay(HttpServerRequest request, IndexFetch.Other other) {
        HttpServerResponse response = request.response();
        response.setStatusCode(other.status());
        if (other.statusMessage() != null) {
            response.setStatusMessage(other.statusMessage());
        }
        ResponseRelay.copyEndToEnd(other.headers(), response.headers());
        response.headers().remove(HttpHeaders.TRANSFER_ENCODING);
        response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(other.body().length));
        return request.method() == HttpMethod.HEAD ? response.end() : response.end(Buffer.buffer(other.body()));
    }

    /** The view's ETag: from the upstream version's digest and the view, so each view validates on its own. */
    private static String etag(String digest, String viewKey) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest((digest + "\n" + viewKey).getBytes(StandardCharsets.UTF_8));
            return "\"" + HexFormat.of().formatHex(hash, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    private static String digest(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /** Carries an upstream answer that is not an index past the cache to every waiting request. */
    private static final class UpstreamAnswer extends RuntimeException {
        final IndexFetch.Other other;

        UpstreamAnswer(IndexFetch.Other other) {
            super("the upstream answered " + other.status(), null, false, false);
            this.other = other;
        }
    }

    /** The routes' URL bases for {@link #IndexStep}: each upstream's own, then the route's indexUrlPrefixes. */
    public static Map<String, List<String>> bases(List<RouteConfig> routes, Map<String, Upstream> upstreams) {
        Map<String, List<String>> bases = new HashMap<>();
        for (RouteConfig route : routes) {
            List<String> all = new ArrayList<>(route.upstream().index().urlPrefixes());
            Upstream upstream = upstreams.get(route.name());
            if (upstream != null) {
                all.addAll(upstream.indexBases());
            }
            bases.put(route.name(), List.copyOf(all));
        }
        return bases;
    }
}
