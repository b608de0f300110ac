package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate that expires while its keep-alive connection is open: the handshake was fine, so only the
 * per-request check can refuse the requests after its {@code notAfter}.
 */
class CertificateExpiryIT {

    @TempDir
    static Path dir;

    @Test
    void aCertificateThatExpiresDuringAKeepAliveConnectionIsRefusedOnItsNextRequest() throws Exception {
        TestPki pki = TestPki.create(dir, "Expiry CA");
        pki.server("localhost").issue();
        TestPki.Issued brief = pki.client("brief").ou("engineering").expiresIn(Duration.ofSeconds(4)).issue();
        Files.writeString(Files.createDirectories(dir.resolve("charts")).resolve("ping.txt"), "pong\n");
        try (GatewayHarness gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes: [{ name: files, prefix: /, upstream: { type: file, dir: charts } }]
                policy: { rules: [{ name: r, match: { ou: engineering }, read: ["/**"] }] }
                """);
                KeepAliveClient connection = KeepAliveClient.connect(TlsClients.context(brief, pki.caFile()), gateway.port())) {
            assertEquals(200, connection.get("/ping.txt").status());
            Instant expiry = brief.certificate().getNotAfter().toInstant();
            while (!Instant.now().isAfter(expiry.plusMillis(500))) {
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
            KeepAliveClient.Response refused = connection.get("/ping.txt");
            assertEquals(403, refused.status(), refused::text);
            assertTrue(refused.text().contains("\"error\":\"certificate_expired\""), refused::text);
            assertTrue(refused.text().contains("the certificate CN=brief,OU=engineering (serial "), refused::text);
            assertTrue(refused.text().contains(") expired at "), refused::text);
            assertThrows(IOException.class, () -> KeepAliveClient.connect(TlsClients.context(brief, pki.caFile()),
                    gateway.port()).get("/ping.txt"), "a new connection is refused in the handshake");
        }
    }
}
