package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.OpensslPki;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code crlFetch: true} against a CA made by openssl whose client certificates name an {@code http://} CRL
 * distribution point, published by a real nginx: the running gateway picks up a revocation within the refresh
 * interval (on an open connection too), keeps the CRL on disk for a restart without network, and refuses, under
 * {@code crlStale: reject}, a certificate whose CRL it never could fetch.
 */
class CrlFetchIT {

    @TempDir
    Path dir;

    private String config(Path cache) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls:
                    certFile: server/localhost.crt
                    keyFile: server/localhost.key
                    clientCaFile: pki/root.crt
                    crlFetch: true
                    crlFetchIntervalSeconds: 1
                    crlCacheDir: %s
                admin: { port: 0 }
                reload: { watchIntervalSeconds: 3600 }
                routes: [{ name: files, prefix: /, upstream: { type: file, dir: charts } }]
                policy: { rules: [{ name: r, match: { ou: engineering }, read: ["/**"] }] }
                """.formatted(cache);
    }

    @Test
    void aRevocationPublishedAtTheDistributionPointReachesTheRunningGatewayAndSurvivesARestartWithoutNetwork()
            throws Exception {
        TestPki server = TestPki.create(dir.resolve("server"), "Server CA");
        server.server("localhost").issue();
        Files.writeString(Files.createDirectories(dir.resolve("charts")).resolve("ping.txt"), "pong\n");
        Path published = Files.createDirectories(dir.resolve("published"));
        NginxServer nginx = NginxServer.start(published);
        OpensslPki pki = new OpensslPki(dir.resolve("pki"), "crlDistributionPoints = URI:" + nginx.baseUrl() + "/root.crl");
        pki.root("root", "/O=Acme/CN=Acme Root CA")
                .issue("alice", "/O=Acme/OU=engineering/CN=alice", "root", "client")
                .issue("bob", "/O=Acme/OU=engineering/CN=bob", "root", "client");
        pki.derCrl("root", published.resolve("root.crl"));
        SSLContext alice = TlsClients.context(pki.file("alice.crt"), pki.file("alice.key"), server.caFile());
        SSLContext bob = TlsClients.context(pki.file("bob.crt"), pki.file("bob.key"), server.caFile());
        Path cache = dir.resolve("cache");

        try (GatewayHarness gateway = GatewayHarness.start(dir, config(cache))) {
            // the first request naming the distribution point waits for its CRL
            try (KeepAliveClient a = KeepAliveClient.connect(alice, gateway.port())) {
                assertEquals(200, a.get("/ping.txt").status());
            }
            assertTrue(nginx.received().stream().anyMatch(r -> r.uri().equals("/root.crl")), "the CRL was fetched");
            assertEquals(1, crlFiles(cache).size(), "the CRL is cached on disk");
            assertTrue(gateway.metrics().scrape().contains("chartgate_crl_fetch_last_success_timestamp_seconds{ca=\"CN=Acme Root CA,O=Acme\"}"),
                    gateway.metrics().scrape());

            try (KeepAliveClient b = KeepAliveClient.connect(bob, gateway.port())) {
                assertEquals(200, b.get("/ping.txt").status());
                pki.revoke("root", "bob").derCrl("root", published.resolve("root.crl"));
                Instant published1 = Instant.now();
                await(() -> {
                    try {
                        return b.get("/ping.txt").status() == 403;
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, Duration.ofSeconds(20));
                KeepAliveClient.Response refused = b.get("/ping.txt");
                assertTrue(refused.text().contains("\"error\":\"certificate_revoked\""), refused::text);
                System.out.println("revocation reached the open connection after "
                        + Duration.between(published1, Instant.now()).toMillis() + " ms");
            }
            assertThrows(IOException.class, () -> KeepAliveClient.connect(bob, gateway.port()).get("/ping.txt"),
                    "a new handshake is refused too");
        }

        nginx.close();
        try (GatewayHarness restarted = GatewayHarness.start(dir, config(cache))) {
            // no network: the cached CRL is in force at once
            assertThrows(IOException.class, () -> KeepAliveClient.connect(bob, restarted.port()).get("/ping.txt"));
            try (KeepAliveClient a = KeepAliveClient.connect(alice, restarted.port())) {
                assertEquals(200, a.get("/ping.txt").status());
            }
            await(() -> restarted.metrics().scrape().contains(
                    "chartgate_crl_fetch_failures_total{ca=\"CN=Acme Root CA,O=Acme\"} 1.0"), Duration.ofSeconds(10));
        }

        try (GatewayHarness empty = GatewayHarness.start(dir, config(dir.resolve("empty-cache")));
                KeepAliveClient a = KeepAliveClient.connect(alice, empty.port())) {
            // never fetched and unreachable: crlStale reject refuses rather than pass a certificate unchecked
            KeepAliveClient.Response refused = a.get("/ping.txt");
            assertEquals(403, refused.status(), refused::text);
            assertTrue(refused.text().contains("could not be fetched"), refused::text);
            assertFalse(refused.text().contains("127.0.0.1"), "no internal address in an answer: " + refused.text());
        }
    }

    private static List<Path> crlFiles(Path cache) throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.filter(p -> p.toString().endsWith(".crl")).toList();
        }
    }

    private static void await(BooleanSupplier condition, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("not within " + timeout);
            }
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
    }
}
