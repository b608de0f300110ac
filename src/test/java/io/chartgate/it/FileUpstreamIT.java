package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The read-only file upstream, and requests refused before any upstream (no route, anonymous, admin port). */
class FileUpstreamIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static GatewayHarness gateway;
    private static HttpClient reader;
    private static HttpClient anonymous;
    private static Path charts;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.create(dir, "File IT CA");
        pki.server("localhost").issue();
        charts = dir.resolve("charts");
        SampleRepository.write(charts);
        Files.writeString(dir.resolve("secret.txt"), "outside the repository\n");
        Files.createSymbolicLink(charts.resolve("escape.txt"), dir.resolve("secret.txt"));
        Files.createDirectories(charts.resolve("sub"));
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt, clientAuth: optional }
                admin: { port: 0 }
                routes:
                  - { name: files, prefix: /charts, upstream: { type: file, dir: charts } }
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"], write: ["/**"] }
                  anonymous: { read: ["/charts/index.yaml"] }
                """);
        reader = TlsClients.http(TlsClients.context(pki.client("reader").ou("engineering").issue(), pki.caFile()));
        anonymous = TlsClients.http(TlsClients.context(null, pki.caFile()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static HttpResponse<byte[]> get(HttpClient client, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url(path)));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void filesAreServedWithTypesAndValidators() throws Exception {
        HttpResponse<byte[]> chart = get(reader, "/charts/hello-0.2.0.tgz");
        assertEquals(200, chart.statusCode());
        assertArrayEquals(Files.readAllBytes(charts.resolve("hello-0.2.0.tgz")), chart.body());
        assertEquals("application/gzip", chart.headers().firstValue("content-type").orElseThrow());
        assertEquals("application/x-yaml", get(reader, "/charts/index.yaml").headers().firstValue("content-type").orElseThrow());
        String etag = chart.headers().firstValue("etag").orElseThrow();
        assertEquals(304, get(reader, "/charts/hello-0.2.0.tgz", "If-None-Match", etag).statusCode());
        String lastModified = chart.headers().firstValue("last-modified").orElseThrow();
        assertEquals(304, get(reader, "/charts/hello-0.2.0.tgz", "If-Modified-Since", lastModified).statusCode());
    }

    @Test
    void aByteRangeGets206WithTheRightSlice() throws Exception {
        byte[] whole = Files.readAllBytes(charts.resolve("hello-0.2.0.tgz"));
        HttpResponse<byte[]> part = get(reader, "/charts/hello-0.2.0.tgz", "Range", "bytes=10-19");
        assertEquals(206, part.statusCode());
        assertEquals("bytes 10-19/" + whole.length, part.headers().firstValue("content-range").orElseThrow());
        assertArrayEquals(Arrays.copyOfRange(whole, 10, 20), part.body());
        assertEquals(416, get(reader, "/charts/hello-0.2.0.tgz", "Range", "bytes=999999-").statusCode());
    }

    @Test
    void writesAreRefusedWith405() throws Exception {
        HttpResponse<byte[]> put = reader.send(HttpRequest.newBuilder(URI.create(gateway.url("/charts/new.tgz")))
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(405, put.statusCode());
        assertEquals("method_not_allowed", JSON.readValue(put.body(), Map.class).get("error"));
        assertTrue(Files.notExists(charts.resolve("new.tgz")));
    }

    @Test
    void directoriesMissingFilesAndSymlinksOutOfTheDirectoryAre404() throws Exception {
        assertEquals(404, get(reader, "/charts/").statusCode());
        assertEquals(404, get(reader, "/charts/sub").statusCode());
        assertEquals(404, get(reader, "/charts/missing.tgz").statusCode());
        assertEquals(404, get(reader, "/charts/escape.txt").statusCode());
    }

    @Test
    void aPathOutsideEveryRouteIs404NoRoute() throws Exception {
        HttpResponse<byte[]> response = get(reader, "/elsewhere/index.yaml");
        assertEquals(404, response.statusCode());
        assertEquals("no_route", JSON.readValue(response.body(), Map.class).get("error"));
    }

    @Test
    void withOptionalClientAuthAnonymousClientsGetTheAnonymousGrantsOr401() throws Exception {
        assertEquals(200, get(anonymous, "/charts/index.yaml").statusCode());
        HttpResponse<byte[]> denied = get(anonymous, "/charts/hello-0.2.0.tgz");
        assertEquals(401, denied.statusCode());
        assertEquals("certificate_required", JSON.readValue(denied.body(), Map.class).get("error"));
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void helmWithoutACertificateSees401WhereAnonymousMayNotRead(String major) {
        HelmCli helm = HelmCli.of(major, dir.resolve("helm-anon-" + major));
        HelmCli.Result result = helm.run(dir, "repo", "add", "anon", gateway.url("/charts/sub"),
                "--ca-file", dir.resolve("ca.crt").toString());
        assertTrue(!result.ok() && result.output().contains(": 401 a client certificate is required to read /charts/sub/index.yaml"),
                result::toString);
    }

    @Test
    void theAdminPortAnswersHealthReadinessAndMetrics() throws Exception {
        HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String admin = "http://127.0.0.1:" + gateway.adminPort();
        assertEquals(200, plain.send(HttpRequest.newBuilder(URI.create(admin + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        get(reader, "/charts/index.yaml");
        HttpResponse<String> metrics = plain.send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("chartgate_requests_total{access=\"read\",decision=\"allowed\",route=\"files\",status=\"200\"}"),
                metrics::body);
        assertTrue(metrics.body().contains("chartgate_request_duration_seconds_bucket"), "histograms");
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            status = plain.send(HttpRequest.newBuilder(URI.create(admin + "/readyz")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode();
            if (status != 200) {
                LockSupport.parkNanos(50_000_000L);
            }
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status);
    }
}
