package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.S3ProxyServer;
import io.chartgate.testing.TestPki;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} against real upstreams of every kind: nginx (http), s3proxy with SigV4 enforced (s3) and a
 * directory (file). An S3 route is ready when a signed HeadBucket succeeds, so the Helm chart's S3 deployments
 * get traffic; wrong keys, a missing bucket and a stopped store are each named.
 */
class ReadinessIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient PLAIN = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;

    private static NginxServer nginx;
    private static S3ProxyServer s3;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.create(dir, "Readiness CA");
        pki.server("localhost").issue();
        nginx = NginxServer.start(Files.createDirectories(dir.resolve("www")));
        s3 = S3ProxyServer.start(dir, "charts");
        Files.createDirectories(dir.resolve("files"));
    }

    @AfterAll
    static void stop() {
        try {
            nginx.close();
        } finally {
            s3.close();
        }
    }

    private static GatewayHarness gateway(String name, String endpoint, String bucket, String secret) throws Exception {
        Path home = Files.createDirectories(dir.resolve(name));
        return GatewayHarness.start(home, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: ../localhost.crt, keyFile: ../localhost.key, clientCaFile: ../ca.crt }
                admin: { port: 0 }
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "%1$s" } }
                  - { name: local, prefix: /local, upstream: { type: file, dir: ../files } }
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "%2$s", bucket: %3$s, pathStyle: true,
                                accessKeyId: %4$s, secretAccessKey: %5$s }
                policy: { rules: [{ name: r, match: { ou: x }, read: ["/**"] }] }
                """.formatted(nginx.baseUrl(), endpoint, bucket, S3ProxyServer.IDENTITY, secret));
    }

    /** Polls /readyz until {@code until} holds for its answer (the probe runs at start and every 5 s). */
    private static JsonNode readyz(GatewayHarness gateway, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode last;
        do {
            HttpResponse<String> response = PLAIN.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway.adminPort() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
            last = JSON.readTree(response.body());
            ((com.fasterxml.jackson.databind.node.ObjectNode) last).put("httpStatus", response.statusCode());
            if (until.test(last)) {
                return last;
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        } while (System.nanoTime() < deadline);
        return last;
    }

    @Test
    void aGatewayWithAnS3RouteBecomesReadyWhenTheBucketAnswersASignedRequest() throws Exception {
        try (GatewayHarness gateway = gateway("up", s3.endpoint(), "charts", S3ProxyServer.CREDENTIAL)) {
            JsonNode ready = readyz(gateway, r -> r.get("httpStatus").asInt() == 200);
            assertEquals(200, ready.get("httpStatus").asInt(), ready::toString);
            assertEquals("ready", ready.get("status").asText());
        }
    }

    @Test
    void wrongKeysMakeTheS3RouteNotReadyAndSaySo() throws Exception {
        try (GatewayHarness gateway = gateway("wrongkeys", s3.endpoint(), "charts", "not-the-secret")) {
            JsonNode answer = readyz(gateway, r -> r.path("reason").asText().contains("bucket"));
            assertEquals(503, answer.get("httpStatus").asInt(), answer::toString);
            String reason = answer.get("reason").asText();
            assertTrue(reason.contains("bucket (the bucket refused the gateway's credentials (403)"), reason);
            assertTrue(!reason.contains("museum") && !reason.contains("local"), "the other routes are up: " + reason);
            assertTrue(!reason.contains("not-the-secret"), "no secret in the reason");
        }
    }

    @Test
    void aMissingBucketMakesTheS3RouteNotReady() throws Exception {
        try (GatewayHarness gateway = gateway("nobucket", s3.endpoint(), "absent", S3ProxyServer.CREDENTIAL)) {
            JsonNode answer = readyz(gateway, r -> r.path("reason").asText().contains("bucket"));
            assertEquals(503, answer.get("httpStatus").asInt(), answer::toString);
            assertTrue(answer.get("reason").asText().contains("no bucket absent at the endpoint (404)"), answer::toString);
        }
    }

    @Test
    void anS3StoreThatStopsMakesTheGatewayNotReadyAndOneThatStartsAgainReady() throws Exception {
        S3ProxyServer store = S3ProxyServer.start(Files.createDirectories(dir.resolve("store")), "charts");
        try (GatewayHarness gateway = gateway("updown", store.endpoint(), "charts", S3ProxyServer.CREDENTIAL)) {
            assertEquals(200, readyz(gateway, r -> r.get("httpStatus").asInt() == 200).get("httpStatus").asInt());
            store.close();
            JsonNode down = readyz(gateway, r -> r.get("httpStatus").asInt() == 503);
            assertEquals(503, down.get("httpStatus").asInt(), down::toString);
            assertTrue(down.get("reason").asText().startsWith("upstream not answering: bucket ("), down::toString);
        } finally {
            store.close();
        }
    }

    @Test
    void anHttpUpstreamThatRefusesConnectionsIsNamed() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Path home = Files.createDirectories(dir.resolve("httpdown"));
        try (GatewayHarness gateway = GatewayHarness.start(home, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: ../localhost.crt, keyFile: ../localhost.key, clientCaFile: ../ca.crt }
                admin: { port: 0 }
                routes:
                  - { name: up, prefix: /, upstream: { type: http, url: "%s" } }
                  - { name: gone, prefix: /gone, upstream: { type: http, url: "http://127.0.0.1:%d", connectTimeoutMs: 500 } }
                policy: { rules: [{ name: r, match: { ou: x }, read: ["/**"] }] }
                """.formatted(nginx.baseUrl(), closed))) {
            JsonNode answer = readyz(gateway, r -> r.path("reason").asText().contains("gone"));
            assertEquals(503, answer.get("httpStatus").asInt(), answer::toString);
            assertTrue(answer.get("reason").asText().startsWith("upstream not answering: gone ("), answer::toString);
        }
    }
}
