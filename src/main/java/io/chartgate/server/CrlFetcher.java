package io.chartgate.server;

import io.chartgate.admin.ReloadResult;
import io.chartgate.config.TlsConfig;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.proxy.GatewayState;
import io.chartgate.tls.Certificates;
import io.chartgate.tls.ClientTrust;
import io.chartgate.tls.CrlCache;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * {@code server.tls.crlFetch}: keeps the CRLs that the trusted CAs publish at {@code http://} distribution points.
 *
 * <ul>
 *   <li>Where: the distribution points the configured CA certificates name (the CRLs covering intermediates), and
 *       those the client certificates of verified chains name (the CRLs covering them), learned as clients come
 *       and remembered in the cache directory (at most {@link CrlCache#MAX_URLS}).</li>
 *   <li>What is kept: a CRL signed by a configured CA's key, not older than the one cached; written to the cache
 *       directory, from which every reload (and a restart without network) loads it like a {@code crlFiles}
 *       entry, so it applies to new handshakes and open connections alike.</li>
 *   <li>When: at once for a distribution point first seen (the request that named it waits for the fetch, so a
 *       revoked certificate is never let through for want of its CRL), then every {@code crlFetchIntervalSeconds}
 *       and a minute before the CRL's {@code nextUpdate}; after a failure, again after 30 s. A failure keeps
 *       the last good CRL, which {@code crlStale} judges once past its {@code nextUpdate}.</li>
 * </ul>
 */
final class CrlFetcher {

    static final Duration RETRY = Duration.ofSeconds(30);
    static final long MAX_CRL_BYTES = 32L << 20;
    private static final long TIMEOUT_MS = 10_000;

    /** What is known of one distribution point. Guarded by the fetcher. */
    private static final class Point {
        final URI url;
        /** The subject DN of the CA expected to sign its CRL: the metric label. */
        final String ca;
        Instant lastSuccess;
        Instant lastAttempt;
        Instant nextUpdate;
        String lastError;
        Future<Void> inFlight;

        Point(URI url, String ca) {
            this.url = url;
            this.ca = ca;
        }

        boolean hasCrl() {
            return lastSuccess != null;
        }
    }

    private final Vertx vertx;
    private final WebClient client;
    private final Supplier<GatewayState> current;
    private final Function<String, Future<ReloadResult>> reload;
    private final GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final Map<URI, Point> points = new LinkedHashMap<>();
    private boolean learnedLoaded;
    private long timer = -1;

    CrlFetcher(Vertx vertx, Supplier<GatewayState> current, Function<String, Future<ReloadResult>> reload,
            GatewayMetrics metrics, AccessLog accessLog) {
        this.vertx = vertx;
        this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout((int) TIMEOUT_MS)
                .setFollowRedirects(false));
        this.current = current;
        this.reload = reload;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    private TlsConfig.CrlFetch settings() {
        return current.get().config().server().tls().crlFetch();
    }

    /** Checks every point now and then about every five seconds (sooner with a shorter interval). */
    void start() {
        tick();
        long every = Math.min(5000L, settings().intervalSeconds() * 1000L);
        timer = vertx.setPeriodic(Math.max(500L, every), id -> tick());
    }

    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        client.close();
    }

    /**
     * Completes when the CRLs covering {@code chain} are at hand: at once when fetching is off or every
     * distribution point it names has been fetched; otherwise when the first fetch of the new ones (and the
     * reload that applies them) finished. Fails when such a first fetch failed, with why.
     */
    Future<Void> ready(ClientTrust.VerifiedChain chain) {
        TlsConfig.CrlFetch settings = settings();
        return settings.enabled() ? learn(chain, settings) : Future.succeededFuture();
    }

    private synchronized Future<Void> learn(ClientTrust.VerifiedChain chain, TlsConfig.CrlFetch settings) {
        loadLearned(settings);
        List<Future<Void>> waits = null;
        boolean learnedNew = false;
        List<X509Certificate> path = chain.path();
        for (int i = 0; i < path.size(); i++) {
            for (URI url : CrlCache.distributionPoints(path.get(i))) {
                Point point = points.get(url);
                if (point == null) {
                    if (points.size() >= CrlCache.MAX_URLS) {
                        continue;
                    }
                    point = point(url, path.get(i).getIssuerX500Principal().getName(), settings);
                    learnedNew = true;
                }
                if (point.hasCrl()) {
                    continue;
                }
                Future<Void> fetch = point.inFlight != null ? point.inFlight
                        : recentlyFailed(point) ? Future.failedFuture(point.lastError) : fetch(point, settings);
                if (waits == null) {
                    waits = new ArrayList<>();
                }
                waits.add(fetch);
            }
        }
        if (learnedNew) {
            rememberLearned(settings);
        }
        return waits == null ? Future.succeededFuture() : Future.all(waits).mapEmpty();
    }

    private synchronized void tick() {
        TlsConfig.CrlFetch settings = settings();
        if (!settings.enabled()) {
            return;
        }
        loadLearned(settings);
        // the points the configured CA certificates name, again after every reload
        ClientTrust trust = current.get().trust();
        List<X509Certificate> cas = new ArrayList<>(trust.anchors());
        cas.addAll(trust.intermediates());
        for (X509Certificate ca : cas) {
            for (URI url : CrlCache.distributionPoints(ca)) {
                if (!points.containsKey(url)) {
                    point(url, ca.getIssuerX500Principal().getName(), settings);
                }
            }
        }
        Instant now = Instant.now();
        for (Point point : points.values()) {
            if (point.inFlight == null && due(point, settings, now)) {
                fetch(point, settings);
            }
        }
    }

    private static boolean due(Point point, TlsConfig.CrlFetch settings, Instant now) {
        if (recentlyFailed(point)) {
            return false;
        }
        if (!point.hasCrl()) {
            return true;
        }
        Instant due = point.lastSuccess.plusSeconds(settings.intervalSeconds());
        if (point.nextUpdate != null && point.nextUpdate.minusSeconds(60).isBefore(due)) {
            due = point.nextUpdate.minusSeconds(60);
        }
        return !now.isBefore(due);
    }

    private static boolean recentlyFailed(Point point) {
        return point.lastError != null && point.lastAttempt != null
                && Instant.now().isBefore(point.lastAttempt.plus(RETRY));
    }

    /** Fetches one point; the future completes once a changed CRL is stored and the reload applying it ran. */
    private Future<Void> fetch(Point point, TlsConfig.CrlFetch settings) {
        CrlCache cache = new CrlCache(settings.cacheDir());
        point.lastAttempt = Instant.now();
        Future<Void> fetch = client.getAbs(point.url.toString()).timeout(TIMEOUT_MS).send()
                .compose(response -> vertx.executeBlocking(() -> accept(point, cache, response), false))
                .compose(changed -> changed ? reload.apply("crl-fetch").compose(result -> result.succeeded()
                        ? Future.<Void>succeededFuture()
                        : Future.<Void>failedFuture("stored, but the reload applying it failed: "
                                + String.join("; ", result.errors()))) : Future.<Void>succeededFuture())
                .andThen(ar -> finished(point, ar.failed() ? ar.cause() : null));
        point.inFlight = fetch;
        return fetch;
    }

    private synchronized void finished(Point point, Throwable failure) {
        point.inFlight = null;
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "crl_fetch");
        entry.put("time", Instant.now().toString());
        entry.put("url", point.url.toString());
        entry.put("ca", point.ca);
        if (failure == null) {
            point.lastError = null;
            metrics.crlFetched(point.ca, point.lastSuccess);
            entry.put("result", "success");
            entry.put("nextUpdate", point.nextUpdate == null ? null : point.nextUpdate.toString());
        } else {
            point.lastError = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
            metrics.crlFetchFailed(point.ca);
            entry.put("result", "failure");
            entry.put("error", point.lastError);
        }
        accessLog.write(entry);
    }

    /**
     * Checks a fetched CRL and stores it when it is new: true when the cache changed (a reload must apply it).
     * Runs off the event loop (parsing, signature, disk).
     */
    private boolean accept(Point point, CrlCache cache, HttpResponse<Buffer> response) throws Exception {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the distribution point answered " + response.statusCode());
        }
        Buffer body = response.body();
        if (body == null || body.length() == 0) {
            throw new IllegalStateException("the distribution point sent no CRL");
        }
        if (body.length() > MAX_CRL_BYTES) {
            throw new IllegalStateException("the CRL is larger than " + MAX_CRL_BYTES + " bytes");
        }
        byte[] bytes = body.getBytes();
        X509CRL crl;
        try {
            crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(bytes));
        } catch (java.security.cert.CRLException e) {
            throw new IllegalStateException("not a CRL (" + e.getMessage() + ")");
        }
        ClientTrust trust = current.get().trust();
        List<X509Certificate> cas = new ArrayList<>(trust.anchors());
        cas.addAll(trust.intermediates());
        if (Certificates.crlIssuer(crl, cas) == null) {
            throw new IllegalStateException("the CRL of " + crl.getIssuerX500Principal().getName()
                    + " is not signed by a configured CA");
        }
        X509CRL cached = cache.load(point.url);
        Instant now = Instant.now();
        if (cached != null && Arrays.equals(cached.getEncoded(), crl.getEncoded())) {
            succeeded(point, crl, now);
            return false;
        }
        if (cached != null && older(crl, cached)) {
            throw new IllegalStateException("the CRL served (thisUpdate " + crl.getThisUpdate().toInstant()
                    + ") is older than the one cached (" + cached.getThisUpdate().toInstant() + "); the cached one stays");
        }
        cache.store(point.url, bytes);
        succeeded(point, crl, now);
        return true;
    }

    private synchronized void succeeded(Point point, X509CRL crl, Instant at) {
        point.lastSuccess = at;
        point.nextUpdate = crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant();
    }

    /** A CRL that would roll the cached one back: a lower CRL number, or without numbers an earlier thisUpdate. */
    static boolean older(X509CRL fetched, X509CRL cached) {
        BigInteger a = number(fetched);
        BigInteger b = number(cached);
        if (a != null && b != null) {
            return a.compareTo(b) < 0;
        }
        return fetched.getThisUpdate().before(cached.getThisUpdate());
    }

    private static BigInteger number(X509CRL crl) {
        byte[] value = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (value == null) {
            return null;
        }
        try {
            return ASN1Integer.getInstance(JcaX509ExtensionUtils.parseExtensionValue(value)).getValue();
        } catch (java.io.IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private void loadLearned(TlsConfig.CrlFetch settings) {
        if (learnedLoaded) {
            return;
        }
        learnedLoaded = true;
        new CrlCache(settings.cacheDir()).learned().forEach((url, ca) -> {
            if (!points.containsKey(url)) {
                point(url, ca, settings);
            }
        });
    }

    /**
     * A new point. One whose CRL is cached from before (a restart) counts as fetched at once, since the reload at
     * start loaded that CRL, and is refreshed when due.
     */
    private Point point(URI url, String ca, TlsConfig.CrlFetch settings) {
        Point point = new Point(url, ca);
        X509CRL cached = new CrlCache(settings.cacheDir()).load(url);
        if (cached != null) {
            point.lastSuccess = Instant.EPOCH;
            point.nextUpdate = cached.getNextUpdate() == null ? null : cached.getNextUpdate().toInstant();
        }
        points.put(url, point);
        return point;
    }

    private void rememberLearned(TlsConfig.CrlFetch settings) {
        Map<URI, String> learned = new LinkedHashMap<>();
        points.values().forEach(p -> learned.put(p.url, p.ca));
        try {
            new CrlCache(settings.cacheDir()).remember(learned);
        } catch (java.io.UncheckedIOException e) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("event", "crl_fetch");
            entry.put("time", Instant.now().toString());
            entry.put("result", "failure");
            entry.put("error", "cannot write " + settings.cacheDir() + ": " + e.getCause().getMessage());
            accessLog.write(entry);
        }
    }

    /** The distribution points known now, for tests and the status of the fetcher. */
    synchronized Set<URI> known() {
        return new LinkedHashSet<>(points.keySet());
    }
}
