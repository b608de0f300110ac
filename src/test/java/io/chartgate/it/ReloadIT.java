package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live operations: the configuration and the files it names are watched by content and reloaded whole;
 * a revocation or a policy change takes effect on connections that are already open; a bad file changes
 * nothing; the server certificate is rotated without a restart.
 */
class ReloadIT {

    @TempDir
    Path dir;

    private TestPki pki;
    private TestPki.Issued bob;
    private GatewayHarness gateway;
    private Path live;

    private static final String CONFIG = """
            server:
              host: 127.0.0.1
              port: 0
              tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt, crlFiles: [ca.crl] }
            admin: { port: 0 }
            routes: [{ name: charts, prefix: /, upstream: { type: file, dir: charts } }]
            reload: { watchIntervalSeconds: 1 }
            policy:
              rules:
                - { name: readers, match: { ou: engineering }, read: ["%s"] }
            """;

    @BeforeEach
    void start() {
        pki = TestPki.create(dir, "Reload CA");
        pki.server("localhost").issue();
        bob = pki.client("bob").ou("engineering").issue();
        SampleRepository.write(dir.resolve("charts"));
        gateway = GatewayHarness.start(dir, CONFIG.formatted("/**"));
        live = dir.resolve("chartgate.yaml");
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void aRevokedCertificateLosesAccessOnItsOpenConnectionAndNewHandshakesAreRefused() throws Exception {
        try (KeepAlive connection = new KeepAlive(bob)) {
            assertEquals("HTTP/1.1 200 OK", connection.get("/index.yaml"));
            pki.revoke(bob);
            awaitTrue(() -> connection.getQuietly("/index.yaml").startsWith("HTTP/1.1 403 "));
            String refused = connection.lastBody;
            assertTrue(refused.contains("\"error\":\"certificate_revoked\""), refused);
        }
        assertHandshakeRefused(() -> new KeepAlive(bob).get("/index.yaml"));
        gateway.awaitLog(e -> "config_reload".equals(e.get("event")) && "success".equals(e.get("result"))
                && "watch".equals(e.get("trigger")));
    }

    @Test
    void aPolicyEditedInPlaceAppliesToOpenConnections() throws Exception {
        try (KeepAlive connection = new KeepAlive(bob)) {
            assertEquals("HTTP/1.1 200 OK", connection.get("/hello-0.2.0.tgz"));
            Files.writeString(live, CONFIG.formatted("/index.yaml"));
            awaitTrue(() -> connection.getQuietly("/hello-0.2.0.tgz").startsWith("HTTP/1.1 403 bob may not read"));
            assertEquals("HTTP/1.1 200 OK", connection.get("/index.yaml"));
        }
    }

    @Test
    void aFileRenamedOverTheConfigurationIsSeen() throws Exception {
        Path next = dir.resolve("chartgate.yaml.new");
        Files.writeString(next, CONFIG.formatted("/index.yaml"));
        Files.move(next, live, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        HttpClient client = TlsClients.http(TlsClients.context(bob, pki.caFile()));
        awaitTrue(() -> status(client, "/hello-0.2.0.tgz") == 403);
        assertEquals(200, status(client, "/index.yaml"));
    }

    @Test
    void aKubernetesSymlinkSwapIsSeen() throws Exception {
        // the ConfigMap layout: chartgate.yaml -> ..data/chartgate.yaml, ..data -> ..2024_01_01 (swapped atomically)
        Path first = Files.createDirectories(dir.resolve("..v1"));
        Files.move(live, first.resolve("chartgate.yaml"));
        Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        Files.createSymbolicLink(live, Path.of("..data/chartgate.yaml"));
        assertEquals(List.of(), gateway.reload());
        Path second = Files.createDirectories(dir.resolve("..v2"));
        Files.writeString(second.resolve("chartgate.yaml"), CONFIG.formatted("/index.yaml"));
        Path swap = dir.resolve("..data_tmp");
        Files.createSymbolicLink(swap, second.getFileName());
        Files.move(swap, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        HttpClient client = TlsClients.http(TlsClients.context(bob, pki.caFile()));
        awaitTrue(() -> status(client, "/hello-0.2.0.tgz") == 403);
    }

    @Test
    void aBrokenFileChangesNothingAndIsReportedWithEveryError() throws Exception {
        Files.writeString(live, CONFIG.formatted("/**").replace("type: file", "type: ftp").replace("watchIntervalSeconds: 1",
                "watchIntervalSeconds: 1, bogus: 2"));
        HttpResponse<String> reload = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/-/reload")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(422, reload.statusCode());
        assertTrue(reload.body().contains("routes[0].upstream.type: unknown value \\\"ftp\\\"")
                && reload.body().contains("reload.bogus: unknown key"), reload::body);
        assertEquals(200, status(TlsClients.http(TlsClients.context(bob, pki.caFile())), "/index.yaml"), "the old state serves on");
        gateway.awaitLog(e -> "config_reload".equals(e.get("event")) && "failure".equals(e.get("result")));
        String metrics = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("chartgate_config_reloads_total{result=\"failure\"} 1") || metrics.contains(
                "chartgate_config_reloads_total{result=\"failure\"} 2"), metrics);
    }

    @Test
    void aStaleCrlRefusesWhatItCoversUnderRejectAndOnlyWarnsUnderWarn() throws Exception {
        HttpClient client = TlsClients.http(TlsClients.context(bob, pki.caFile()));
        try (KeepAlive open = new KeepAlive(bob)) {
            // its handshake done on the gateway's side too: TLS 1.3 lets the client speak before the gateway has
            // judged its certificate, which happens under the trust in force then (after the reload below, it is refused)
            assertEquals("HTTP/1.1 200 OK", open.get("/index.yaml"));
            pki.writeCrl(Instant.now().minusSeconds(60));
            assertEquals(List.of(), gateway.reload());
            assertTrue(open.get("/index.yaml").startsWith("HTTP/1.1 403 CRL for CN=Reload CA expired at "), open.lastBody);
        }
        assertHandshakeRefused(() -> new KeepAlive(bob).get("/index.yaml")); // new handshakes are refused too
        Files.writeString(live, CONFIG.formatted("/**").replace("crlFiles: [ca.crl] }", "crlFiles: [ca.crl], crlStale: warn }"));
        assertEquals(List.of(), gateway.reload());
        assertEquals(200, status(client, "/index.yaml"));
        gateway.awaitLog(e -> "config_reload".equals(e.get("event")) && String.valueOf(e.get("warnings")).contains("expired at"));
    }

    @Test
    void reloadThroughTheAdminPortSucceedsAndCounts() throws Exception {
        HttpResponse<String> reload = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/-/reload")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reload.statusCode());
        assertEquals("{\"result\":\"success\"}", reload.body());
    }

    @Test
    void aRotatedServerCertificateIsUsedByNewHandshakesWhileOldConnectionsGoOn() throws Exception {
        try (KeepAlive old = new KeepAlive(bob)) {
            X509Certificate before = old.serverCertificate();
            TestPki.Issued rotated = pki.server("localhost").issue();
            assertTrue(!rotated.certificate().getSerialNumber().equals(before.getSerialNumber()));
            awaitTrue(() -> {
                try (KeepAlive fresh = new KeepAlive(bob)) {
                    return fresh.serverCertificate().getSerialNumber().equals(rotated.certificate().getSerialNumber());
                } catch (IOException e) {
                    return false;
                }
            });
            assertEquals("HTTP/1.1 200 OK", old.get("/index.yaml"), "the connection opened before the rotation goes on");
        }
    }

    /**
     * A handshake the gateway refused: its alert, or, when the gateway closed before the client read the alert (the
     * client had already sent its request: TLS 1.3 lets it), a reset.
     */
    private static void assertHandshakeRefused(org.junit.jupiter.api.function.Executable connect) {
        IOException refused = assertThrows(IOException.class, connect);
        assertTrue(refused instanceof SSLException || refused instanceof java.net.SocketException, refused::toString);
    }

    private int status(HttpClient client, String path) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 15 s (the watch interval is 1 s)");
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    /** One keep-alive TLS connection, one request at a time, reading each response by its Content-Length. */
    private final class KeepAlive implements AutoCloseable {
        private final SSLSocket socket;
        String lastBody = "";

        KeepAlive(TestPki.Issued client) throws IOException {
            socket = (SSLSocket) TlsClients.context(client, pki.caFile()).getSocketFactory().createSocket();
            socket.connect(new InetSocketAddress("localhost", gateway.port()), 5000);
            socket.setSoTimeout(5000);
            socket.startHandshake();
        }

        X509Certificate serverCertificate() throws IOException {
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }

        String getQuietly(String path) {
            try {
                return get(path);
            } catch (IOException e) {
                return "failed: " + e;
            }
        }

        String get(String path) throws IOException {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed");
                }
                head.write(b);
            }
            String headers = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : headers.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            lastBody = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            return headers.substring(0, headers.indexOf("\r\n"));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
