package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.identity.IdentityExtractor;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code forwardClientCert: both} and {@code trustedProxies}: what nginx receives. */
class ForwardingModesIT {

    @TempDir
    Path dir;

    @Test
    void bothCertificateHeadersAreSetAndATrustedProxysForwardedForIsAppendedTo() throws Exception {
        TestPki pki = TestPki.create(dir, "Forwarding CA");
        pki.server("localhost").issue();
        TestPki.Issued bob = pki.client("bob").ou("engineering")
                .sans(List.of("bob.example.com"), List.of(), List.of("spiffe://acme/bob"), List.of()).issue();
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.writeString(repo.resolve("index.yaml"), "apiVersion: v1\n");
        try (NginxServer nginx = NginxServer.start(repo);
             GatewayHarness gateway = GatewayHarness.start(dir, """
                     server:
                       host: 127.0.0.1
                       port: 0
                       tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                       forwardClientCert: both
                       trustedProxies: [127.0.0.0/8]
                     admin: { port: 0 }
                     routes: [{ name: museum, prefix: /, upstream: { type: http, url: "%s" } }]
                     policy: { rules: [{ name: r, match: { ou: engineering }, read: ["/**"] }] }
                     """.formatted(nginx.baseUrl()))) {
            String raw = TlsClients.raw(TlsClients.context(bob, pki.caFile()), gateway.port(),
                    "GET /index.yaml HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 203.0.113.7\r\nConnection: close\r\n\r\n");
            assertTrue(raw.startsWith("HTTP/1.1 200"), raw);
            NginxServer.ReceivedRequest received = HttpUpstreamIT.proxied(nginx, 1).get(0);
            assertEquals("203.0.113.7, 127.0.0.1", received.header("x-forwarded-for"));
            assertEquals("Hash=" + IdentityExtractor.fingerprint(bob.certificate())
                            + ";Subject=\"CN=bob,OU=engineering\";URI=spiffe://acme/bob;DNS=bob.example.com",
                    received.header("x-forwarded-client-cert"));
            assertEquals(":" + Base64.getEncoder().encodeToString(bob.certificate().getEncoded()) + ":",
                    received.header("client-cert"));
        }
    }
}
