package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.TestPki;
import io.vertx.core.internal.VertxInternal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /healthz} fails while an event loop is blocked, so a liveness probe restarts a gateway that stopped
 * answering (as one that ran out of memory did), and passes again once the loop runs.
 */
class LivenessIT {

    @TempDir
    static Path dir;

    /** 200 with the body, or the status and body of any other answer, or "no answer" within a second. */
    private static String healthz(HttpClient client, int port) {
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body();
        } catch (Exception e) {
            return "no answer";
        }
    }

    @Test
    void aBlockedEventLoopFailsHealthzUntilItRunsAgain() throws Exception {
        TestPki pki = TestPki.create(dir, "Liveness CA");
        pki.server("localhost").issue();
        Files.createDirectories(dir.resolve("charts"));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (GatewayHarness gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes: [{ name: files, prefix: /, upstream: { type: file, dir: charts } }]
                policy: { rules: [{ name: r, match: { ou: x }, read: ["/**"] }] }
                """)) {
            assertTrue(healthz(client, gateway.adminPort()).startsWith("200 "));
            long start = System.nanoTime();
            ((VertxInternal) gateway.vertx()).eventLoopGroup().next().execute(
                    () -> LockSupport.parkNanos(Duration.ofSeconds(9).toNanos()));
            LockSupport.parkNanos(Duration.ofMillis(6500).toNanos());
            List<String> during = new ArrayList<>();
            while (System.nanoTime() - start < Duration.ofMillis(8000).toNanos()) {
                during.add(healthz(client, gateway.adminPort()));
            }
            assertTrue(during.stream().noneMatch(a -> a.startsWith("200 ")), () -> "healthy while a loop was blocked: " + during);
            assertTrue(during.stream().anyMatch(a -> a.startsWith("503 ") && a.contains("has not run for")
                    || a.equals("no answer")), during::toString);
            String after = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!after.startsWith("200 ") && System.nanoTime() < deadline) {
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                after = healthz(client, gateway.adminPort());
            }
            assertEquals("200 {\"status\":\"ok\"}", after);
        }
    }
}
