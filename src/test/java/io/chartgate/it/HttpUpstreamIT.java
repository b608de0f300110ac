package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import io.chartgate.identity.IdentityExtractor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gateway in front of a real nginx: streaming, policy over real certificates, headers, limits. */
class HttpUpstreamIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static NginxServer nginx;
    private static GatewayHarness gateway;
    private static Map<String, HttpClient> clients;
    private static TestPki.Issued bob;
    private static TestPki.Issued alice;

    @BeforeAll
    static void start() throws IOException {
        pki = TestPki.create(dir, "HTTP IT CA");
        pki.server("localhost").issue();
        bob = pki.client("bob").ou("engineering").issue();
        alice = pki.client("alice").ou("release").issue();
        TestPki.Issued eve = pki.client("eve").ou("marketing").issue();
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.writeString(repo.resolve("index.yaml"), "apiVersion: v1\nentries: {}\n");
        // the generic resource of these tests: index files are answered by the index step, cached (IndexPipelineIT)
        Files.writeString(repo.resolve("ping.txt"), "pong\n");
        nginx = NginxServer.start(repo);
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                  limits: { maxBodyBytes: 32Mi }
                admin: { port: 0 }
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "%s" } }
                  - name: sub
                    prefix: /sub
                    upstream: { type: http, url: "%s/nested/", auth: { basic: { username: gw, password: s3cret } } }
                policy:
                  rules:
                    - { name: readers, match: { ou: engineering }, read: ["/**"] }
                    - { name: release, match: { ou: release }, read: ["/**"], write: ["/charts/**", "/sub/**", "/api/charts"] }
                """.formatted(nginx.baseUrl(), nginx.baseUrl()));
        clients = Map.of(
                "bob", TlsClients.http(TlsClients.context(bob, pki.caFile())),
                "alice", TlsClients.http(TlsClients.context(alice, pki.caFile())),
                "eve", TlsClients.http(TlsClients.context(eve, pki.caFile())));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        nginx.close();
    }

    @BeforeEach
    void clearNginxLog() {
        nginx.clearLog();
    }

    /**
     * What nginx received from proxied requests, waiting for at least {@code count}. The gateway's readiness
     * probe also calls nginx; its requests carry no X-Request-Id and are left out.
     */
    static List<NginxServer.ReceivedRequest> proxied(NginxServer nginx, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<NginxServer.ReceivedRequest> proxied;
        while (true) {
            proxied = nginx.received().stream().filter(r -> r.header("x-request-id") != null).toList();
            if (proxied.size() >= count || System.nanoTime() > deadline) {
                return proxied;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    private static HttpResponse<byte[]> send(String who, String method, String path, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url(path)))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return clients.get(who).send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            bob   | GET    | /ping.txt           | 200
            bob   | HEAD   | /ping.txt           | 200
            bob   | PUT    | /charts/a-1.0.0.tgz   | 403
            bob   | DELETE | /ping.txt           | 403
            alice | PUT    | /charts/b-1.0.0.tgz   | 201
            alice | PUT    | /ping.txt           | 403
            eve   | GET    | /ping.txt           | 403
            eve   | GET    | /charts/b-1.0.0.tgz   | 403
            """)
    void thePolicyDecidesPerCertificateAndNothingDeniedReachesNginx(String who, String method, String path, int status)
            throws Exception {
        HttpResponse<byte[]> response = send(who, method, path, method.equals("PUT") ? "chart".getBytes() : null);
        assertEquals(status, response.statusCode());
        String requestId = response.headers().firstValue("x-request-id").orElseThrow();
        Map<String, Object> line = gateway.awaitRequest(requestId);
        assertEquals(status, line.get("status"));
        if (status == 403) {
            assertEquals("denied", line.get("decision"));
            Map<?, ?> body = JSON.readValue(response.body(), Map.class);
            assertEquals("forbidden", body.get("error"));
            assertEquals(who + " may not " + (method.equals("GET") || method.equals("HEAD") ? "read" : "write") + " " + path,
                    body.get("message"));
            assertEquals(requestId, body.get("requestId"));
            // nothing reached nginx: a later allowed request is the only one it saw
            send("bob", "GET", "/ping.txt", null);
            assertEquals(1, proxied(nginx, 1).size(), () -> "nginx saw " + nginx.received());
        } else {
            assertEquals("allowed", line.get("decision"));
            assertEquals(method, proxied(nginx, 1).get(0).method());
        }
    }

    @Test
    void everyResponseForbidsContentSniffingOnce() throws Exception {
        for (String[] request : new String[][] {{"bob", "/ping.txt"}, {"bob", "/index.yaml"}, {"eve", "/ping.txt"},
            {"bob", "/missing.txt"}}) {
            HttpResponse<byte[]> response = send(request[0], "GET", request[1], null);
            assertEquals(List.of("nosniff"), response.headers().allValues("x-content-type-options"),
                    () -> request[1] + " for " + request[0] + " answered " + response.statusCode());
        }
    }

    @Test
    void theAccessLogOfARefusedTargetHoldsItsPathAndQueryNamesButNoQueryValues() throws Exception {
        String raw = TlsClients.raw(TlsClients.context(bob, pki.caFile()), gateway.port(),
                "GET /charts/../x.tgz?X-Amz-Signature=s3cr3tsig&token=t0ken&flag HTTP/1.1\r\nHost: localhost\r\n"
                        + "X-Request-Id: refused-with-query\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 400 "), raw);
        Map<String, Object> line = gateway.awaitRequest("refused-with-query");
        assertEquals("/charts/../x.tgz", line.get("path"));
        assertEquals(List.of("X-Amz-Signature", "token", "flag"), line.get("queryNames"));
        assertTrue(!line.toString().contains("s3cr3tsig") && !line.toString().contains("t0ken"), line::toString);
    }

    @Test
    void aDenialCarriesTheShortReasonInTheStatusLine() throws Exception {
        String raw = TlsClients.raw(TlsClients.context(bob, pki.caFile()), gateway.port(),
                "PUT /charts/x.tgz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 403 bob may not write /charts/x.tgz\r\n"), raw);
    }

    @Test
    void uploadsAndDownloadsStreamBytesUnchanged() throws Exception {
        // a 24 MiB chart: uploads of 20 MiB and more stream through untouched
        byte[] chart = new byte[24 << 20];
        new Random(7).nextBytes(chart);
        assertEquals(201, send("alice", "PUT", "/charts/big-1.0.0.tgz", chart).statusCode());
        assertArrayEquals(chart, Files.readAllBytes(nginx.root().resolve("charts/big-1.0.0.tgz")));
        HttpResponse<byte[]> back = send("bob", "GET", "/charts/big-1.0.0.tgz", null);
        assertEquals(200, back.statusCode());
        assertArrayEquals(chart, back.body());
        Map<String, Object> line = gateway.awaitRequest(back.headers().firstValue("x-request-id").orElseThrow());
        assertEquals(24 << 20, ((Number) line.get("bytesOut")).intValue());
    }

    @Test
    void aChartMuseumMultipartUploadIsForwardedUntouched() throws Exception {
        byte[] body = new byte[20 << 20];
        new Random(11).nextBytes(body);
        String type = "multipart/form-data; boundary=----chartgate-test";
        HttpResponse<byte[]> response = clients.get("alice").send(HttpRequest.newBuilder(URI.create(gateway.url("/api/charts")))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        // nginx is no ChartMuseum: it refuses POST, after receiving what the gateway sent
        NginxServer.ReceivedRequest received = proxied(nginx, 1).get(0);
        assertEquals("POST", received.method());
        assertEquals("/api/charts", received.uri());
        assertEquals(Integer.toString(20 << 20), received.header("content-length"));
        Map<String, Object> line = gateway.awaitRequest(response.headers().firstValue("x-request-id").orElseThrow());
        assertEquals("allowed", line.get("decision"));
        assertEquals("release", line.get("rule"));
    }

    @Test
    void theUpstreamSeesForwardingHeadersAndTheVerifiedCertificate() throws Exception {
        HttpResponse<byte[]> response = send("bob", "GET", "/ping.txt?x=1", null);
        assertEquals(200, response.statusCode());
        NginxServer.ReceivedRequest received = proxied(nginx, 1).get(0);
        assertEquals("/ping.txt?x=1", received.uri());
        assertEquals("127.0.0.1", received.header("x-forwarded-for"));
        assertEquals("https", received.header("x-forwarded-proto"));
        assertEquals("localhost:" + gateway.port(), received.header("x-forwarded-host"));
        assertEquals(response.headers().firstValue("x-request-id").orElseThrow(), received.header("x-request-id"));
        assertEquals("Hash=" + IdentityExtractor.fingerprint(bob.certificate()) + ";Subject=\"CN=bob,OU=engineering\"",
                received.header("x-forwarded-client-cert"));
        assertNull(received.header("client-cert"), "forwardClientCert is xfcc by default");
    }

    @Test
    void spoofedIdentityAndHopByHopHeadersNeverReachTheUpstream() throws Exception {
        String raw = TlsClients.raw(TlsClients.context(bob, pki.caFile()), gateway.port(), String.join("\r\n",
                "GET /ping.txt HTTP/1.1",
                "Host: localhost",
                "X-Forwarded-For: 6.6.6.6",
                "X_Forwarded_For: 7.7.7.7",
                "X-Forwarded-Proto: http",
                "X-Forwarded-Host: evil.example",
                "X-Forwarded-Client-Cert: Hash=evil;Subject=\"CN=admin\"",
                "Client-Cert: :ZXZpbA==:",
                "X-Client-Cert: evil",
                "X-SSL-Client-Cert: evil",
                "Proxy-Authorization: Basic ZXZpbA==",
                "TE: trailers",
                "Upgrade: h2c",
                "X-Request-Id: my-request-1",
                "Connection: close, Upgrade",
                "", ""));
        assertTrue(raw.startsWith("HTTP/1.1 200"), raw);
        NginxServer.ReceivedRequest received = proxied(nginx, 1).get(0);
        assertEquals("127.0.0.1", received.header("x-forwarded-for"));
        assertEquals("https", received.header("x-forwarded-proto"));
        assertEquals("localhost", received.header("x-forwarded-host"));
        assertTrue(received.header("x-forwarded-client-cert").startsWith("Hash=" + IdentityExtractor.fingerprint(bob.certificate())));
        assertEquals("my-request-1", received.header("x-request-id"), "a sane client request id is kept");
        for (String spoofed : List.of("client-cert", "x-client-cert", "x-ssl-client-cert", "proxy-authorization", "te", "upgrade")) {
            assertNull(received.header(spoofed), spoofed + " reached nginx");
        }
    }

    @Test
    void aRefusedBodylessRequestKeepsItsConnectionForTheNext() throws Exception {
        TestPki.Issued eve = pki.client("eve2").ou("marketing").issue();
        String raw = TlsClients.raw(TlsClients.context(eve, pki.caFile()), gateway.port(),
                "GET /ping.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /other.yaml HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 403 eve2 may not read /ping.txt\r\n"), raw);
        assertTrue(raw.contains("HTTP/1.1 403 eve2 may not read /other.yaml\r\n"), raw);
    }

    @Test
    void aHeaderNamedInConnectionIsDropped() throws Exception {
        TlsClients.raw(TlsClients.context(bob, pki.caFile()), gateway.port(), String.join("\r\n",
                "GET /ping.txt HTTP/1.1", "Host: localhost", "X-Request-Id: keep-me", "Authorization: Bearer abc",
                "Connection: close, Authorization", "", ""));
        NginxServer.ReceivedRequest received = proxied(nginx, 1).get(0);
        assertNull(received.header("authorization"));
    }

    @Test
    void thePrefixIsReplacedAndUpstreamCredentialsAreAddedByTheGateway() throws Exception {
        Files.createDirectories(nginx.root().resolve("nested"));
        Files.writeString(nginx.root().resolve("nested/ping.txt"), "nested\n");
        HttpResponse<byte[]> response = send("bob", "GET", "/sub/ping.txt", null);
        assertEquals(200, response.statusCode());
        assertEquals("nested\n", new String(response.body()));
        NginxServer.ReceivedRequest received = proxied(nginx, 1).get(0);
        assertEquals("/nested/ping.txt", received.uri());
        assertEquals("Basic Z3c6czNjcmV0", received.header("authorization"));
        assertTrue(response.headers().allValues("authorization").isEmpty());
    }

    @Test
    void aDeclaredBodyOverTheLimitGets413BeforeAnythingIsSent() throws Exception {
        HttpResponse<byte[]> response = send("alice", "PUT", "/charts/huge-1.0.0.tgz", new byte[(32 << 20) + 1]);
        assertEquals(413, response.statusCode());
        assertEquals("payload_too_large", JSON.readValue(response.body(), Map.class).get("error"));
        send("bob", "GET", "/ping.txt", null);
        assertEquals(List.of("GET"), proxied(nginx, 1).stream().map(NginxServer.ReceivedRequest::method).toList());
        assertFalse(Files.exists(nginx.root().resolve("charts/huge-1.0.0.tgz")));
    }

    /**
     * Uploads as a real client makes them, of a chart helm packaged: curl sends a file over 1 MiB with its length and
     * {@code Expect: 100-continue}, and what it reads from stdin chunked. Both reach nginx byte for byte (the relay
     * takes such bodies at Netty's level, server/HeapRequestContent).
     */
    @Test
    void curlUploadsOfAHelmPackagedChartArriveByteForByte() throws Exception {
        HelmCli helm = HelmCli.of("3", dir.resolve("home-upload"));
        Path work = Files.createDirectories(dir.resolve("upload-work"));
        assertTrue(helm.run(work, "create", "upload").ok());
        // a file of noise in the chart makes the package larger than 1 MiB, past which curl asks to continue
        byte[] noise = new byte[3 << 20];
        new Random(11).nextBytes(noise);
        Files.write(Files.createDirectories(work.resolve("upload/files")).resolve("noise.bin"), noise);
        assertTrue(helm.run(work, "package", "upload", "-d", work.toString()).ok());
        Path chart = work.resolve("upload-0.1.0.tgz");
        assertTrue(Files.size(chart) > (1 << 20));

        assertEquals("201", curl(chart, "-T", chart.toString(), gateway.url("/charts/upload-0.1.0.tgz")));
        assertEquals("201", curl(chart, "-T", "-", gateway.url("/charts/upload-chunked-0.1.0.tgz")));

        List<NginxServer.ReceivedRequest> puts = proxied(nginx, 2);
        assertEquals(Long.toString(Files.size(chart)), puts.stream().filter(r -> r.uri().equals("/charts/upload-0.1.0.tgz"))
                .findFirst().orElseThrow().header("content-length"));
        assertEquals("chunked", puts.stream().filter(r -> r.uri().equals("/charts/upload-chunked-0.1.0.tgz"))
                .findFirst().orElseThrow().header("transfer-encoding"));
        byte[] sent = Files.readAllBytes(chart);
        assertArrayEquals(sent, Files.readAllBytes(nginx.root().resolve("charts/upload-0.1.0.tgz")));
        assertArrayEquals(sent, Files.readAllBytes(nginx.root().resolve("charts/upload-chunked-0.1.0.tgz")));
    }

    /** Runs curl as alice with {@code stdin} as its input; returns the status it printed. */
    private static String curl(Path stdin, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "--cert", alice.certFile().toString(), "--key", alice.keyFile().toString(),
                "--cacert", pki.caFile().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectInput(stdin.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "curl did not finish");
        String status = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(0, process.exitValue(), "curl failed; it printed " + status);
        return status;
    }

    @Test
    void aChunkedBodyOverTheLimitGets413AndLeavesNoPartialFile() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.url("/charts/chunked-1.0.0.tgz")))
                .timeout(Duration.ofSeconds(20))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[40 << 20])))
                .build();
        // the gateway reads the rest of the body before it closes, so the client still sending gets the answer
        HttpResponse<byte[]> response = clients.get("alice").send(request, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(413, response.statusCode());
        send("bob", "GET", "/ping.txt", null);
        proxied(nginx, 1);
        assertFalse(Files.exists(nginx.root().resolve("charts/chunked-1.0.0.tgz")), "a partial chart was stored");
        Map<String, Object> line = gateway.awaitLog(e -> "/charts/chunked-1.0.0.tgz".equals(e.get("path")));
        assertEquals(413, line.get("status"));
    }

    @Test
    void requestIdsAreGeneratedWhenTheClientSendsNoneOrAnInsaneOne() throws Exception {
        HttpResponse<byte[]> response = clients.get("bob").send(HttpRequest.newBuilder(URI.create(gateway.url("/ping.txt")))
                .header("X-Request-Id", "bad id with spaces " + UUID.randomUUID()).build(), HttpResponse.BodyHandlers.ofByteArray());
        String id = response.headers().firstValue("x-request-id").orElseThrow();
        assertTrue(id.matches("[0-9a-f-]{36}"), id);
    }
}
