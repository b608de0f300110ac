package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.Openssl;
import io.chartgate.testing.OpensslPki;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client PKIs made by the real {@code openssl} CLI, as an organisation's CA would be, against the running gateway:
 * a three-level PKI (root, intermediate, leaf) whose intermediate the root revokes, and two trusted CAs one of
 * which signs a sub-CA carrying the other's name.
 */
class TrustChainIT {

    @TempDir
    static Path dir;

    /** The gateway's own server certificate and the CA clients trust it by. */
    private static TestPki server;

    private static OpensslPki openssl;

    @BeforeAll
    static void files() throws IOException {
        server = TestPki.create(dir.resolve("server"), "Gateway Server CA");
        server.server("localhost").issue();
        openssl = new OpensslPki(dir, "");
        Path charts = Files.createDirectories(dir.resolve("charts"));
        for (String sub : List.of("", "team-a/", "team-b/", "issuing/")) {
            Files.createDirectories(charts.resolve(sub));
            Files.writeString(charts.resolve(sub + "ping.txt"), "pong\n");
        }
    }

    private static void root(String name, String subject) {
        openssl.root(name, subject);
    }

    private static void issue(String name, String subject, String issuer, String section) {
        openssl.issue(name, subject, issuer, section);
    }

    private static void concat(String name, String... parts) {
        openssl.concat(name, parts);
    }

    private static SSLContext client(String certFile, String keyFile) {
        return TlsClients.context(dir.resolve(certFile), dir.resolve(keyFile), server.caFile());
    }

    private static String config(String tls, String rules) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: server/localhost.crt, keyFile: server/localhost.key, %s }
                admin: { port: 0 }
                routes: [{ name: files, prefix: /, upstream: { type: file, dir: charts } }]
                policy: { rules: [%s] }
                """.formatted(tls, rules);
    }

    @Test
    void aThreeLevelPkiWorksWithTheIntermediateSentOrConfiguredAndTheRootsCrlRevokesTheIntermediate() throws Exception {
        root("acme-root", "/O=Acme/CN=Acme Root CA");
        issue("acme-issuing", "/O=Acme/CN=Acme Issuing CA", "acme-root", "intermediate");
        issue("carol", "/O=Acme/OU=engineering/CN=carol", "acme-issuing", "client");
        concat("carol-chain.crt", "carol.crt", "acme-issuing.crt");
        openssl.crl("acme-root", Path.of("acme-root.crl"));

        String rules = """
                { name: acme, match: { issuer: "CN=Acme Root CA,O=Acme" }, read: ["/**"] },
                { name: by-intermediate-name, match: { issuer: "CN=Acme Issuing CA,O=Acme" }, read: ["/issuing/**"], write: ["/issuing/**"] }""";
        try (GatewayHarness gateway = GatewayHarness.start(dir, config("clientCaFile: acme-root.crt, crlFiles: [acme-root.crl]", rules))) {
            // helm sends every certificate of its --cert-file: leaf and intermediate
            try (KeepAliveClient chain = KeepAliveClient.connect(client("carol-chain.crt", "carol.key"), gateway.port())) {
                assertEquals(200, chain.get("/ping.txt").status());
                KeepAliveClient.Response byName = chain.exchange("PUT", "/issuing/x.tgz", new byte[0], true);
                assertEquals(403, byName.status(), "the intermediate's name never satisfies issuer: " + byName.text());
            }
            HelmCli helm = HelmCli.of("4", dir.resolve("helm"));
            HelmCli.Result pulled = helm.run(dir, "pull", gateway.url("/ping.txt"),
                    "--cert-file", dir.resolve("carol-chain.crt").toString(), "--key-file", dir.resolve("carol.key").toString(),
                    "--ca-file", server.caFile().toString(), "-d", Files.createDirectories(dir.resolve("pulled")).toString());
            assertTrue(pulled.ok(), "helm 4 with a leaf + intermediate --cert-file: " + pulled);
            assertEquals("pong\n", Files.readString(dir.resolve("pulled/ping.txt")));

            // the leaf alone: no path to the root
            assertThrows(IOException.class, () -> KeepAliveClient.connect(client("carol.crt", "carol.key"), gateway.port())
                    .get("/ping.txt"), "without its intermediate the leaf does not chain to the root");

            // intermediateCaFile links a client that sends only its own certificate
            Files.writeString(dir.resolve("chartgate.yaml"), config(
                    "clientCaFile: acme-root.crt, intermediateCaFile: acme-issuing.crt, crlFiles: [acme-root.crl]", rules));
            assertEquals(List.of(), gateway.reload());
            try (KeepAliveClient alone = KeepAliveClient.connect(client("carol.crt", "carol.key"), gateway.port())) {
                assertEquals(200, alone.get("/ping.txt").status());
            }

            // the root revokes the intermediate: an open connection's next request and every new handshake are refused
            try (KeepAliveClient open = KeepAliveClient.connect(client("carol-chain.crt", "carol.key"), gateway.port())) {
                assertEquals(200, open.get("/ping.txt").status());
                openssl.revoke("acme-root", "acme-issuing").crl("acme-root", Path.of("acme-root.crl"));
                assertEquals(List.of(), gateway.reload());
                KeepAliveClient.Response refused = open.get("/ping.txt");
                assertEquals(403, refused.status(), refused::text);
                assertTrue(refused.text().contains("\"error\":\"certificate_revoked\""), refused::text);
                assertTrue(refused.text().contains("CN=Acme Issuing CA"), refused::text);
            }
            assertThrows(IOException.class, () -> KeepAliveClient.connect(client("carol-chain.crt", "carol.key"), gateway.port())
                    .get("/ping.txt"), "a new handshake is refused: the intermediate is revoked");
            assertThrows(IOException.class, () -> KeepAliveClient.connect(client("carol.crt", "carol.key"), gateway.port())
                    .get("/ping.txt"), "also when the intermediate comes from intermediateCaFile");
        }
    }

    @Test
    void aSubCaThatCopiesAnotherTrustedCasNameDoesNotSatisfyThatCasIssuerRule() throws Exception {
        root("team-a", "/CN=Team A CA");
        root("team-b", "/CN=Team B CA");
        issue("alice", "/OU=team-a/CN=alice", "team-a", "client");
        // Team B's sub-CA named exactly like Team A's root, and a leaf under it
        issue("impostor", "/CN=Team A CA", "team-b", "intermediate");
        issue("mallory", "/OU=team-a/CN=mallory", "impostor", "client");
        concat("mallory-chain.crt", "mallory.crt", "impostor.crt");
        concat("two-cas.crt", "team-a.crt", "team-b.crt");
        String teamB = Openssl.run(dir, "x509", "-in", "team-b.crt", "-noout", "-fingerprint", "-sha256");
        String teamBFingerprint = teamB.substring(teamB.indexOf('=') + 1).trim();

        String rules = """
                { name: team-a, match: { issuer: "CN=Team A CA" }, read: ["/team-a/**"] },
                { name: team-b, match: { issuerFingerprint: "%s" }, read: ["/team-b/**"] }""".formatted(teamBFingerprint);
        try (GatewayHarness gateway = GatewayHarness.start(dir, config("clientCaFile: two-cas.crt", rules))) {
            try (KeepAliveClient a = KeepAliveClient.connect(client("alice.crt", "alice.key"), gateway.port())) {
                assertEquals(200, a.get("/team-a/ping.txt").status());
                assertEquals(403, a.get("/team-b/ping.txt").status());
            }
            try (KeepAliveClient m = KeepAliveClient.connect(client("mallory-chain.crt", "mallory.key"), gateway.port())) {
                KeepAliveClient.Response refused = m.get("/team-a/ping.txt");
                assertEquals(403, refused.status(), "a Team B certificate under a sub-CA named Team A: " + refused.text());
                assertTrue(refused.text().contains("\"error\":\"forbidden\""), refused::text);
                assertEquals(200, m.get("/team-b/ping.txt").status(), "its verified root is Team B");
            }
            java.util.Map<String, Object> line = gateway.awaitLog(e -> "/team-a/ping.txt".equals(e.get("path"))
                    && Integer.valueOf(403).equals(e.get("status")));
            assertEquals("CN=mallory,OU=team-a", line.get("subject"));
        }
    }
}
