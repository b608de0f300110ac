package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.helm.IndexCache;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.GzipBomb;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.LargeIndex;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.S3ProxyServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import io.chartgate.testing.Together;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The index step end to end, the gateway in-process in front of a real nginx (and a real s3proxy, and a directory):
 * one upstream fetch however many ask at once, revalidation at most once per interval on a kept upstream
 * connection, writes seen at once, a cache that callers cannot grow by varying the query or the Host, a gzip bomb
 * cut at {@code maxIndexBytes}, 503 {@code overloaded} past {@code indexCacheBytes}, an upstream that stalls
 * mid-index, and encoded uploads refused.
 * nginx's access log is the witness of what reached the upstream: which request, with which validator, on which
 * of its connections.
 */
class IndexPipelineIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** 100 charts of 100 versions: the 10,000-version, 7.5 MB index the limits are sized for. */
    private static final int CHARTS = 100;
    private static final int VERSIONS = 100;
    /** The server certificate's names, the first one first: what a foreign Host is replaced by. */
    private static final String FIRST_SAN = "charts.example.test";

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki.Issued reader;
    private static TestPki.Issued writer;
    private static SSLContext readerTls;
    private static SSLContext writerTls;
    private static NginxServer nginx;
    private static S3ProxyServer s3;
    private static Path files;
    /** Revalidates every 60 s: anything it asks upstream twice within a test was asked for twice. */
    private static GatewayHarness gateway;
    private static HttpClient direct;

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir, "Index Pipeline CA");
        pki.server("localhost").sans(List.of(FIRST_SAN, "localhost"), List.of("127.0.0.1"), List.of(), List.of())
                .fileName("server").issue();
        reader = pki.client("reader").ou("engineering").issue();
        writer = pki.client("writer").ou("release").issue();
        readerTls = TlsClients.context(reader, pki.caFile());
        writerTls = TlsClients.context(writer, pki.caFile());
        Path www = Files.createDirectories(dir.resolve("www"));
        nginx = NginxServer.start(www);
        Files.writeString(www.resolve("ping.txt"), "pong\n");
        Files.createDirectories(www.resolve("big"));
        Files.write(www.resolve("big/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/big", CHARTS, VERSIONS));
        // relative URLs only: nothing to rewrite. 1,000 versions, large enough to be parsed off the event loop
        Files.createDirectories(www.resolve("plain"));
        Files.write(www.resolve("plain/index.yaml"), LargeIndex.yaml("", 10, VERSIONS));
        Files.createDirectories(www.resolve("gz/bomb"));
        // YAML first, so only the size can refuse it: 2 GiB of zeros follow, about 2 MB on the wire
        Files.write(www.resolve("gz/bomb/index.yaml.gz"), GzipBomb.of(
                "apiVersion: v1\nentries:\n  bomb:\n  - name: bomb\n    description: \"".getBytes(StandardCharsets.UTF_8), 2048));
        files = Files.createDirectories(dir.resolve("files"));
        s3 = S3ProxyServer.start(dir, "charts");
        gateway = GatewayHarness.start(dir, config("indexRevalidateMillis: 60000", """
                  - { name: big, prefix: /big, upstream: { type: http, url: "%1$s/big/" } }
                  - { name: w, prefix: /w, upstream: { type: http, url: "%1$s/w/" } }
                  - { name: h, prefix: /h, upstream: { type: http, url: "%1$s/h/" } }
                  - { name: plain, prefix: /plain, upstream: { type: http, url: "%1$s/plain/" } }
                  - { name: bomb, prefix: /bomb, upstream: { type: http, url: "%1$s/gz/bomb/" } }
                  - name: files
                    prefix: /files
                    upstream: { type: file, dir: files, indexUrlPrefixes: ["https://charts.example.org/stable/"] }
                  - name: s3
                    prefix: /s3
                    upstream: { type: s3, endpoint: "%2$s", bucket: charts, pathStyle: true, keyPrefix: repo/,
                                accessKeyId: %3$s, secretAccessKey: %4$s }
                """.formatted(nginx.baseUrl(), s3.endpoint(), S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL), ""));
        direct = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        Resources.closeAll(gateway, s3, nginx);
    }

    /** A gateway configuration: {@code limits} inside {@code server.limits}, then the routes, relative to a subdirectory. */
    private static String config(String limits, String routes, String certDir) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: %1$sserver.crt, keyFile: %1$sserver.key, clientCaFile: %1$sca.crt }
                  limits: { %2$s }
                admin: { port: 0 }
                routes:
                %3$s
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"] }
                    - { name: release, match: { ou: release }, read: ["/**"], write: ["/w/**", "/s3/**", "/files/**"] }
                """.formatted(certDir, limits, routes.stripTrailing());
    }

    /** Another gateway, in its own directory, for a test that must see its cache alone. */
    private static GatewayHarness startAnother(String name, String limits, String routes) throws Exception {
        Path own = Files.createDirectories(dir.resolve(name));
        return GatewayHarness.start(own, config(limits, routes, "../"));
    }

    /** {@code https://localhost:PORT}: the public base of a request whose Host is the default one. */
    private static String base(GatewayHarness harness) {
        return "https://localhost:" + harness.port();
    }

    private static Path www(String path) throws Exception {
        Path file = nginx.root().resolve(path);
        Files.createDirectories(file.getParent());
        return file;
    }

    /** Every request the gateway (or anyone) made of nginx for exactly {@code uri}, up to now. */
    private static List<NginxServer.ReceivedRequest> upstreamRequests(String uri) {
        return nginx.settledReceived().stream().filter(r -> r.uri().equals(uri)).toList();
    }

    private static Map<?, ?> json(KeepAliveClient.Response response) throws Exception {
        assertEquals("application/json", response.header("content-type"), response::toString);
        return JSON.readValue(response.body(), Map.class);
    }

    /** Opens {@code n} connections (handshakes done) so that a burst starts with requests, not handshakes. */
    private static List<KeepAliveClient> connect(int n, SSLContext tls, GatewayHarness harness) throws Exception {
        List<KeepAliveClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(KeepAliveClient.connect(tls, harness.port()));
        }
        return clients;
    }

    private static void closeAll(List<KeepAliveClient> clients) throws Exception {
        for (KeepAliveClient client : clients) {
            client.close();
        }
    }

    // --- one fetch, many readers ---

    @Test
    void fiftyConcurrentFirstRequestsForALargeIndexMakeOneUpstreamGetAndAllGetTheRewrittenIndex() throws Exception {
        byte[] upstream = Files.readAllBytes(nginx.root().resolve("big/index.yaml"));
        assertTrue(upstream.length > 5_000_000, "the index is " + upstream.length + " bytes");
        String expected = KeepAliveClient.sha256(LargeIndex.yaml(base(gateway) + "/big", CHARTS, VERSIONS));
        List<KeepAliveClient> clients = connect(50, readerTls, gateway);
        try {
            List<Callable<KeepAliveClient.Response>> gets = new ArrayList<>();
            for (KeepAliveClient client : clients) {
                gets.add(() -> client.exchange("GET", "/big/index.yaml", null, false));
            }
            List<KeepAliveClient.Response> answers = Together.run(gets);
            for (KeepAliveClient.Response answer : answers) {
                assertEquals(200, answer.status(), answer::toString);
                // the expected rewrite differs from the upstream's bytes in exactly the 10,000 chart URLs
                assertEquals(expected, answer.sha256(), "a body that is not the rewritten index");
            }
        } finally {
            closeAll(clients);
        }
        List<NginxServer.ReceivedRequest> fetched = upstreamRequests("/big/index.yaml");
        assertEquals(1, fetched.size(), () -> "nginx saw " + fetched);
        assertEquals("GET", fetched.get(0).method());
        assertEquals(200, fetched.get(0).status());
    }

    // --- revalidation ---

    @Test
    void withinTheRevalidationIntervalRepeatedRequestsAreAnsweredWithoutAskingUpstream() throws Exception {
        int interval = 3000;
        Files.write(www("reval/a/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/reval/a", 2, 5));
        try (GatewayHarness revalidating = startAnother("within", "indexRevalidateMillis: " + interval,
                "  - { name: reval, prefix: /reval, upstream: { type: http, url: \"%s/reval/\" } }".formatted(nginx.baseUrl()));
                KeepAliveClient client = KeepAliveClient.connect(readerTls, revalidating.port())) {
            long start = System.nanoTime();
            KeepAliveClient.Response first = client.get("/reval/a/index.yaml");
            assertEquals(200, first.status());
            for (int i = 0; i < 10; i++) {
                KeepAliveClient.Response again = client.get("/reval/a/index.yaml");
                assertEquals(200, again.status());
                assertEquals(first.sha256(), again.sha256());
            }
            assertEquals(200, client.exchange("HEAD", "/reval/a/index.yaml", null, true).status());
            assertEquals(304, client.get("/reval/a/index.yaml", "If-None-Match", first.header("etag")).status());
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // the premise, not a performance claim: all of it happened inside one interval
            assertTrue(elapsed < interval, "13 requests took " + elapsed + " ms, longer than the interval");
        }
        List<NginxServer.ReceivedRequest> fetched = upstreamRequests("/reval/a/index.yaml");
        assertEquals(1, fetched.size(), () -> "nginx saw " + fetched);
    }

    @Test
    void afterTheIntervalTheIndexIsRevalidatedWithIfNoneMatchAnd304KeepsTheUpstreamConnection() throws Exception {
        int interval = 1000;
        Files.write(www("reval/b/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/reval/b", 2, 5));
        String upstreamEtag = direct.send(HttpRequest.newBuilder(URI.create(nginx.baseUrl() + "/reval/b/index.yaml")).build(),
                HttpResponse.BodyHandlers.discarding()).headers().firstValue("etag").orElseThrow();
        try (GatewayHarness revalidating = startAnother("after", "indexRevalidateMillis: " + interval,
                "  - { name: reval, prefix: /reval, upstream: { type: http, url: \"%s/reval/\" } }".formatted(nginx.baseUrl()));
                KeepAliveClient client = KeepAliveClient.connect(readerTls, revalidating.port())) {
            List<KeepAliveClient.Response> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                if (i > 0) {
                    // past the interval since the previous answer, so past it since the gateway last validated
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(interval + 300));
                }
                answers.add(client.get("/reval/b/index.yaml"));
            }
            for (KeepAliveClient.Response answer : answers) {
                assertEquals(200, answer.status());
                assertEquals(answers.get(0).sha256(), answer.sha256());
                assertEquals(answers.get(0).header("etag"), answer.header("etag"));
            }
        }
        // the gateway's fetches carry the client's X-Request-Id; the test's own look at the ETag above does not
        List<NginxServer.ReceivedRequest> fetched = upstreamRequests("/reval/b/index.yaml").stream()
                .filter(r -> r.header("x-request-id") != null).toList();
        assertEquals(List.of(200, 304, 304), fetched.stream().map(NginxServer.ReceivedRequest::status).toList(),
                () -> "nginx saw " + fetched);
        assertNull(fetched.get(0).header("if-none-match"), "the first fetch is unconditional");
        for (NginxServer.ReceivedRequest revalidation : fetched.subList(1, 3)) {
            assertEquals(upstreamEtag, revalidation.header("if-none-match"), () -> "not conditional: " + revalidation);
        }
        // one upstream connection served all three: the 200 and the first 304 each gave it back for the next
        assertEquals(1, fetched.stream().map(NginxServer.ReceivedRequest::connection).distinct().count(),
                () -> "the upstream connection was not kept: " + fetched);
        assertTrue(fetched.get(2).connectionRequests() > fetched.get(1).connectionRequests()
                && fetched.get(1).connectionRequests() > fetched.get(0).connectionRequests(), () -> "nginx saw " + fetched);
    }

    // --- writes ---

    @Test
    void aNewIndexPutThroughTheRouteIsServedToTheVeryNextGet() throws Exception {
        Files.write(www("w/a/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/w/a", 1, 2));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port());
                KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            KeepAliveClient.Response before = client.get("/w/a/index.yaml");
            assertEquals(KeepAliveClient.sha256(LargeIndex.yaml(base(gateway) + "/w/a", 1, 2)), before.sha256());
            KeepAliveClient.Response put = release.exchange("PUT", "/w/a/index.yaml",
                    LargeIndex.yaml(nginx.baseUrl() + "/w/a", 1, 3), true);
            assertTrue(put.status() == 201 || put.status() == 204, put::toString);
            KeepAliveClient.Response after = client.get("/w/a/index.yaml");
            assertEquals(200, after.status());
            assertEquals(KeepAliveClient.sha256(LargeIndex.yaml(base(gateway) + "/w/a", 1, 3)), after.sha256(),
                    () -> "the gateway served its cached index after a write: " + after.text());
            assertNotEquals(before.header("etag"), after.header("etag"));
        }
    }

    @Test
    void aChartUploadThroughTheRouteMakesTheUpstreamsRegeneratedIndexVisibleAtOnce() throws Exception {
        // the ChartMuseum pattern: the chart is uploaded through the gateway, the store rewrites its index itself
        Path index = www("w/b/index.yaml");
        Files.write(index, LargeIndex.yaml(nginx.baseUrl() + "/w/b", 1, 2));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port());
                KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            assertEquals(KeepAliveClient.sha256(LargeIndex.yaml(base(gateway) + "/w/b", 1, 2)),
                    client.get("/w/b/index.yaml").sha256());
            KeepAliveClient.Response upload = release.exchange("PUT", "/w/b/app-0-1.0.2.tgz", "chart".getBytes(), true);
            assertEquals(201, upload.status(), upload::toString);
            Files.write(index, LargeIndex.yaml(nginx.baseUrl() + "/w/b", 1, 3));
            KeepAliveClient.Response after = client.get("/w/b/index.yaml");
            assertEquals(KeepAliveClient.sha256(LargeIndex.yaml(base(gateway) + "/w/b", 1, 3)), after.sha256(),
                    () -> "the upload did not make the gateway ask upstream again: " + after.text());
        }
    }

    // --- what a caller cannot vary ---

    @Test
    void thousandsOfDistinctQueryStringsMakeOneCacheEntryAndOneUpstreamFetch() throws Exception {
        Files.write(www("q/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/q", 2, 5));
        try (GatewayHarness bounded = startAnother("queries", "indexRevalidateMillis: 60000",
                "  - { name: q, prefix: /q, upstream: { type: http, url: \"%s/q/\" } }".formatted(nginx.baseUrl()))) {
            String expected = KeepAliveClient.sha256(LargeIndex.yaml(base(bounded) + "/q", 2, 5));
            List<KeepAliveClient> clients = connect(4, readerTls, bounded);
            try {
                List<Callable<Void>> runs = new ArrayList<>();
                for (int c = 0; c < clients.size(); c++) {
                    KeepAliveClient client = clients.get(c);
                    int first = c * 1000;
                    runs.add(() -> {
                        for (int n = first; n < first + 1000; n++) {
                            KeepAliveClient.Response answer = client.exchange("GET", "/q/index.yaml?x=" + n + "&cache-buster=" + n,
                                    null, false);
                            assertEquals(200, answer.status());
                            assertEquals(expected, answer.sha256());
                        }
                        return null;
                    });
                }
                Together.run(runs);
            } finally {
                closeAll(clients);
            }
            assertEquals(1, bounded.indexCache().size(), "4,000 query strings, one index");
            assertEquals(1, bounded.indexCache().views());
        }
        List<NginxServer.ReceivedRequest> fetched = upstreamRequests("/q/index.yaml");
        assertEquals(1, fetched.size(), () -> "nginx saw " + fetched);
        assertTrue(nginx.received().stream().noneMatch(r -> r.uri().startsWith("/q/index.yaml?")),
                "the client's query reached the upstream's index fetch");
    }

    @Test
    void thousandsOfForeignHostHeadersGetTheCertificatesFirstNameAndStayWithinTheViewBound() throws Exception {
        Files.write(www("hosts/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/hosts", 2, 5));
        try (GatewayHarness bounded = startAnother("hosts", "indexRevalidateMillis: 60000",
                "  - { name: hosts, prefix: /hosts, upstream: { type: http, url: \"%s/hosts/\" } }".formatted(nginx.baseUrl()));
                KeepAliveClient client = KeepAliveClient.connect(readerTls, bounded.port())) {
            IndexCache cache = bounded.indexCache();
            for (int n = 0; n < 2000; n++) {
                // every other one with a port of its own: 1,000 distinct bases a client could ask to be rendered
                String port = n % 2 == 0 ? "" : ":" + (10_000 + n);
                KeepAliveClient.Response answer = client.get("/hosts/index.yaml", "Host", "h" + n + ".attacker.example" + port);
                assertEquals(200, answer.status());
                String text = answer.text();
                assertTrue(text.contains("- https://" + FIRST_SAN + port + "/hosts/app-0-1.0.4.tgz\n"), text);
                assertFalse(text.contains("attacker"), text);
                assertTrue(cache.views() <= 32, () -> cache.views() + " views of one index");
            }
            assertEquals(1, cache.size());
            assertTrue(cache.bytes() < 1 << 20, () -> "a 7 kB index and its views hold " + cache.bytes() + " bytes");
        }
        assertEquals(1, upstreamRequests("/hosts/index.yaml").size());
    }

    @ParameterizedTest(name = "Host {0} -> {1}")
    @CsvSource({
            "localhost:4443,        https://localhost:4443",
            "LOCALHOST:4443,        https://localhost:4443",
            "127.0.0.1:8443,        https://127.0.0.1:8443",
            "charts.example.test,   https://charts.example.test",
            "charts.example.test:1, https://charts.example.test:1",
            "elsewhere.example:4443, https://charts.example.test:4443"})
    void aHostNamingTheCertificateIsThePublicBaseWithItsPortAndAnyOtherGetsTheFirstName(String host, String expected)
            throws Exception {
        Files.write(www("h/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/h", 1, 2));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port())) {
            KeepAliveClient.Response answer = client.get("/h/index.yaml", "Host", host);
            assertEquals(200, answer.status());
            assertEquals(new String(LargeIndex.yaml(expected + "/h", 1, 2), StandardCharsets.UTF_8), answer.text());
        }
    }

    @Test
    void xForwardedHostNeverChoosesThePublicBase() throws Exception {
        Files.write(www("h/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/h", 1, 2));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port())) {
            KeepAliveClient.Response named = client.get("/h/index.yaml", "Host", "localhost:4443",
                    "X-Forwarded-Host", "evil.example");
            assertEquals(new String(LargeIndex.yaml("https://localhost:4443/h", 1, 2), StandardCharsets.UTF_8), named.text());
            // not even when it names the certificate and the Host does not
            KeepAliveClient.Response foreign = client.get("/h/index.yaml", "Host", "evil.example:4443",
                    "X-Forwarded-Host", "localhost:9999");
            assertEquals(new String(LargeIndex.yaml("https://" + FIRST_SAN + ":4443/h", 1, 2), StandardCharsets.UTF_8),
                    foreign.text());
        }
    }

    // --- bounds ---

    @Test
    void aGzipBombIsCutAtMaxIndexBytesWith502WhileOtherIndexesAreServed() throws Exception {
        String plain = KeepAliveClient.sha256(Files.readAllBytes(nginx.root().resolve("plain/index.yaml")));
        try (KeepAliveClient one = KeepAliveClient.connect(readerTls, gateway.port())) {
            assertBombRefused(one.get("/bomb/index.yaml"));
        }
        List<KeepAliveClient> clients = connect(9, readerTls, gateway);
        try {
            List<Callable<KeepAliveClient.Response>> burst = new ArrayList<>();
            for (KeepAliveClient client : clients.subList(0, 8)) {
                burst.add(() -> client.get("/bomb/index.yaml"));
            }
            KeepAliveClient bystander = clients.get(8);
            burst.add(() -> bystander.exchange("GET", "/plain/index.yaml", null, false));
            List<KeepAliveClient.Response> answers = Together.run(burst);
            for (KeepAliveClient.Response answer : answers.subList(0, 8)) {
                assertBombRefused(answer);
            }
            assertEquals(200, answers.get(8).status(), "an index on another route during the bombs");
            assertEquals(plain, answers.get(8).sha256());
            KeepAliveClient.Response after = bystander.exchange("GET", "/plain/index.yaml", null, false);
            assertEquals(200, after.status(), "an index on another route after the bombs");
            assertEquals(plain, after.sha256());
        } finally {
            closeAll(clients);
        }
    }

    private static void assertBombRefused(KeepAliveClient.Response answer) throws Exception {
        assertEquals(502, answer.status(), answer::toString);
        Map<?, ?> error = json(answer);
        assertEquals("upstream_unavailable", error.get("error"));
        assertEquals("the upstream's index file is larger than " + (32L << 20)
                + " bytes decompressed (server.limits.maxIndexBytes)", error.get("message"));
    }

    @Test
    void aRefusedGzipBombLeavesNothingReservedInTheIndexStep() throws Exception {
        try (GatewayHarness bounded = startAnother("bomb-memory", "indexRevalidateMillis: 60000",
                "  - { name: bomb, prefix: /bomb, upstream: { type: http, url: \"%s/gz/bomb/\" } }".formatted(nginx.baseUrl()));
                KeepAliveClient client = KeepAliveClient.connect(readerTls, bounded.port())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(502, client.get("/bomb/index.yaml").status());
            }
            // 2 MB read and 32 MiB inflated, three times: all of it given back, or the step's budget shrinks for good
            assertEquals(0, bounded.indexCache().bytes());
            assertEquals(0, bounded.indexCache().size());
        }
    }

    @Test
    void pastIndexCacheBytesConcurrentLargeIndexesGet503OverloadedAndEachIsServedAlone() throws Exception {
        List<String> names = List.of("a", "b", "c", "d", "e", "f");
        for (String name : names) {
            // about 7 MB each, under maxIndexBytes (8 MiB); two of them with their views fill indexCacheBytes (24 MiB)
            Files.write(www("ov/" + name + "/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/ov/" + name, 92, 100));
        }
        assertTrue(Files.size(nginx.root().resolve("ov/a/index.yaml")) > 6_500_000);
        try (GatewayHarness bounded = startAnother("overload", "maxIndexBytes: 8Mi, indexCacheBytes: 24Mi",
                "  - { name: ov, prefix: /ov, upstream: { type: http, url: \"%s/ov/\" } }".formatted(nginx.baseUrl()))) {
            List<KeepAliveClient> clients = connect(names.size(), readerTls, bounded);
            try {
                List<Callable<KeepAliveClient.Response>> burst = new ArrayList<>();
                for (int i = 0; i < names.size(); i++) {
                    KeepAliveClient client = clients.get(i);
                    String path = "/ov/" + names.get(i) + "/index.yaml";
                    burst.add(() -> client.exchange("GET", path, null, true));
                }
                List<KeepAliveClient.Response> answers = Together.run(burst);
                int overloaded = 0;
                for (int i = 0; i < names.size(); i++) {
                    KeepAliveClient.Response answer = answers.get(i);
                    if (answer.status() == 503) {
                        assertEquals("overloaded", json(answer).get("error"));
                        overloaded++;
                    } else {
                        assertEquals(200, answer.status(), () -> "neither served nor overloaded: " + answer.text());
                        assertEquals(KeepAliveClient.sha256(LargeIndex.yaml(base(bounded) + "/ov/" + names.get(i), 92, 100)),
                                answer.sha256());
                    }
                }
                assertTrue(overloaded > 0, "six 7 MB indexes at once fit in 24 MiB");
            } finally {
                closeAll(clients);
            }
            try (KeepAliveClient alone = KeepAliveClient.connect(readerTls, bounded.port())) {
                for (String name : names) {
                    KeepAliveClient.Response answer = alone.exchange("GET", "/ov/" + name + "/index.yaml", null, false);
                    assertEquals(200, answer.status(), () -> name + " asked alone: " + answer);
                    assertEquals(KeepAliveClient.sha256(LargeIndex.yaml(base(bounded) + "/ov/" + name, 92, 100)), answer.sha256());
                    assertTrue(bounded.indexCache().bytes() <= 24L << 20, () -> bounded.indexCache().bytes() + " bytes held");
                }
            }
        }
    }

    @Test
    void anIndexJustUnderMaxIndexBytesIsCachedWhenIndexCacheBytesIsTheSmallestAllowed() throws Exception {
        // the configuration check accepts indexCacheBytes of three times maxIndexBytes as room for an index of
        // maxIndexBytes, what is located in it, and its rewritten copy
        byte[] index = LargeIndex.yaml(nginx.baseUrl() + "/edge", 110, 100);
        assertTrue(index.length > 8_300_000 && index.length <= 8L << 20, "the index is " + index.length + " bytes");
        Files.write(www("edge/index.yaml"), index);
        try (GatewayHarness bounded = startAnother("edge", "maxIndexBytes: 8Mi, indexCacheBytes: 24Mi, indexRevalidateMillis: 60000",
                "  - { name: edge, prefix: /edge, upstream: { type: http, url: \"%s/edge/\" } }".formatted(nginx.baseUrl()));
                KeepAliveClient alone = KeepAliveClient.connect(readerTls, bounded.port())) {
            String expected = KeepAliveClient.sha256(LargeIndex.yaml(base(bounded) + "/edge", 110, 100));
            for (int i = 0; i < 2; i++) {
                KeepAliveClient.Response answer = alone.exchange("GET", "/edge/index.yaml", null, true);
                assertEquals(200, answer.status(), () -> "one client on an idle gateway: " + answer.text());
                assertEquals(expected, answer.sha256());
            }
        }
        List<NginxServer.ReceivedRequest> fetched = upstreamRequests("/edge/index.yaml");
        assertEquals(1, fetched.size(), () -> "the index was not kept; nginx saw " + fetched);
    }

    // --- faults ---

    @Test
    void anUpstreamThatStallsMidIndexIsAnsweredWithAnErrorAndHoldsNothingAfterwards() throws Exception {
        // headers and a tenth of the declared body, then nothing, the connection held open: a fault nginx won't produce
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket stalling = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread accept = new Thread(() -> {
                while (!stalling.isClosed()) {
                    try {
                        Socket socket = stalling.accept();
                        held.add(socket);
                        InputStream in = socket.getInputStream();
                        for (int crlfs = 0, b; crlfs < 4 && (b = in.read()) >= 0; ) {
                            crlfs = b == (crlfs % 2 == 0 ? '\r' : '\n') ? crlfs + 1 : 0;
                        }
                        OutputStream out = socket.getOutputStream();
                        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/x-yaml\r\nContent-Length: 100000\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                        out.write(Arrays.copyOf(LargeIndex.yaml("", 1, 20), 10_000));
                        out.flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "stalling-upstream");
            accept.setDaemon(true);
            accept.start();
            try (GatewayHarness stalled = startAnother("stalled", "indexRevalidateMillis: 60000",
                    "  - { name: st, prefix: /st, upstream: { type: http, url: \"http://127.0.0.1:%d/\", responseTimeoutMs: 500 } }"
                            .formatted(stalling.getLocalPort()))) {
                HttpClient client = TlsClients.http(readerTls);
                for (int i = 0; i < 2; i++) {
                    // generous: forty times responseTimeoutMs; an answer that never comes fails here, not at a CI limit
                    HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create(stalled.url("/st/index.yaml")))
                            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                    assertTrue(answer.statusCode() == 504 || answer.statusCode() == 502, answer::body);
                    assertTrue(answer.body().contains("\"error\":\"upstream_"), answer::body);
                }
                // given back once the failed fetch has wound down, which may follow the answer by a moment
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (stalled.indexCache().bytes() != 0 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                }
                assertEquals(0, stalled.indexCache().bytes(), "the stalled fetch still holds its reservation");
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    // --- encoded uploads ---

    @ParameterizedTest(name = "{0} with Content-Encoding {1}")
    @CsvSource({"PUT, gzip", "PUT, br", "POST, gzip", "POST, br", "PUT, 'identity, gzip'"})
    void anEncodedUploadIsRefusedWith400AndNeverReachesNginx(String method, String encoding) throws Exception {
        String requestId = "encoded-" + UUID.randomUUID();
        try (KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            KeepAliveClient.Response answer = release.exchange(method, "/w/enc/app-1.0.0.tgz", new byte[] {0x1f, (byte) 0x8b, 8, 0},
                    true, "Content-Encoding", encoding, "X-Request-Id", requestId);
            assertEquals(400, answer.status(), answer::toString);
            assertEquals("bad_request", json(answer).get("error"));
        }
        List<NginxServer.ReceivedRequest> seen = nginx.settledReceived();
        assertTrue(seen.stream().noneMatch(r -> requestId.equals(r.header("x-request-id"))),
                () -> "the refused upload reached nginx: " + seen);
        assertFalse(Files.exists(nginx.root().resolve("w/enc/app-1.0.0.tgz")));
    }

    @Test
    void anIdentityEncodedUploadPassesThrough() throws Exception {
        try (KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            KeepAliveClient.Response answer = release.exchange("PUT", "/w/enc/plain-1.0.0.tgz", "chart".getBytes(), true,
                    "Content-Encoding", "identity");
            assertEquals(201, answer.status(), answer::toString);
        }
        assertEquals("chart", Files.readString(nginx.root().resolve("w/enc/plain-1.0.0.tgz")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/s3/enc-1.0.0.tgz", "/files/enc-1.0.0.tgz"})
    void anEncodedUploadIsRefusedWith400OnS3AndFileRoutesToo(String path) throws Exception {
        try (KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            KeepAliveClient.Response answer = release.exchange("PUT", path, "chart".getBytes(), true, "Content-Encoding", "gzip");
            assertEquals(400, answer.status(), answer::toString);
            assertEquals("bad_request", json(answer).get("error"));
        }
        assertFalse(Files.exists(s3.object("charts", "repo/enc-1.0.0.tgz")));
    }

    // --- every route kind ---

    @Test
    void aFileRoutesIndexHasTheUrlsUnderItsIndexUrlPrefixesRewritten() throws Exception {
        // chart 0 under the listed prefix, chart 1 elsewhere: only the first are the gateway's to rewrite
        Files.write(files.resolve("index.yaml"), LargeIndex.yaml(
                c -> c == 0 ? "https://charts.example.org/stable" : "https://mirror.example.net/stable", 2, 5));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port())) {
            KeepAliveClient.Response answer = client.get("/files/index.yaml");
            assertEquals(200, answer.status());
            assertEquals(new String(LargeIndex.yaml(c -> c == 0 ? base(gateway) + "/files" : "https://mirror.example.net/stable", 2, 5),
                    StandardCharsets.UTF_8), answer.text());
        }
    }

    @Test
    void aFileRoutesIndexIsCachedAndAnswersItsETagWith304() throws Exception {
        Path index = files.resolve("cached/index.yaml");
        Files.createDirectories(index.getParent());
        Files.write(index, LargeIndex.yaml("https://charts.example.org/stable/cached", 1, 2));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port())) {
            KeepAliveClient.Response first = client.get("/files/cached/index.yaml");
            assertEquals(new String(LargeIndex.yaml(base(gateway) + "/files/cached", 1, 2), StandardCharsets.UTF_8), first.text());
            KeepAliveClient.Response notModified = client.get("/files/cached/index.yaml", "If-None-Match", first.header("etag"));
            assertEquals(304, notModified.status());
            assertEquals(first.header("etag"), notModified.header("etag"));
            // changed behind the gateway's back: within the interval the cached index is still the answer
            Files.write(index, LargeIndex.yaml("https://charts.example.org/stable/cached", 1, 3));
            assertEquals(first.sha256(), client.get("/files/cached/index.yaml").sha256(), "the file was read again");
        }
    }

    @Test
    void anS3RoutesIndexHasTheBucketsUrlFormsRewritten() throws Exception {
        String endpointForm = s3.endpoint() + "/charts/repo";
        byte[] index = LargeIndex.yaml(c -> c % 2 == 0 ? "s3://charts/repo" : endpointForm, 4, 5);
        try (KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            assertEquals(200, release.exchange("PUT", "/s3/index.yaml", index, true).status());
            KeepAliveClient.Response answer = release.get("/s3/index.yaml");
            assertEquals(200, answer.status());
            assertEquals(new String(LargeIndex.yaml(base(gateway) + "/s3", 4, 5), StandardCharsets.UTF_8), answer.text());
        }
    }

    @Test
    void anS3RoutesIndexIsCachedAndAnswersItsETagWith304() throws Exception {
        byte[] index = LargeIndex.yaml("s3://charts/repo/cached", 1, 2);
        try (KeepAliveClient release = KeepAliveClient.connect(writerTls, gateway.port())) {
            assertEquals(200, release.exchange("PUT", "/s3/cached/index.yaml", index, true).status());
            KeepAliveClient.Response first = release.get("/s3/cached/index.yaml");
            assertEquals(new String(LargeIndex.yaml(base(gateway) + "/s3/cached", 1, 2), StandardCharsets.UTF_8), first.text());
            KeepAliveClient.Response notModified = release.get("/s3/cached/index.yaml", "If-None-Match", first.header("etag"));
            assertEquals(304, notModified.status());
            // removed from the bucket behind the gateway's back (s3proxy would answer 404 to any request for it now):
            // within the interval the cached index is still the answer
            Files.delete(s3.object("charts", "repo/cached/index.yaml"));
            KeepAliveClient.Response cached = release.get("/s3/cached/index.yaml");
            assertEquals(200, cached.status(), "the gateway asked the bucket again");
            assertEquals(first.sha256(), cached.sha256());
        }
    }

    @Test
    void anIndexWithNothingToRewriteIsServedByteForByte() throws Exception {
        byte[] upstream = Files.readAllBytes(nginx.root().resolve("plain/index.yaml"));
        try (KeepAliveClient client = KeepAliveClient.connect(readerTls, gateway.port())) {
            KeepAliveClient.Response answer = client.exchange("GET", "/plain/index.yaml", null, false);
            assertEquals(200, answer.status());
            assertEquals(upstream.length, answer.length());
            assertEquals(KeepAliveClient.sha256(upstream), answer.sha256());
        }
    }
}
