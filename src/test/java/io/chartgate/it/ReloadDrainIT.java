package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.admin.ReloadResult;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reload leaves alone: a download through an http upstream that outlasts {@code shutdownGraceSeconds} (the
 * replaced upstream client is released only once its last request ended), and the settings only a restart applies
 * (reported, while everything else is applied).
 */
class ReloadDrainIT {

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki.Issued reader;
    private static byte[] big;

    private static final String CONFIG = """
            server:
              host: 127.0.0.1
              port: %d
              shutdownGraceSeconds: 1
              limits: { maxHeaderBytes: %d }
              tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
            admin: { port: 0 }
            reload: { watchIntervalSeconds: 3600 }
            routes: [{ name: museum, prefix: /, upstream: { type: http, url: "%s" } }]
            policy: { rules: [{ name: r, match: { ou: engineering }, read: [%s] }] }
            """;

    @BeforeAll
    static void files() throws IOException {
        pki = TestPki.create(dir, "Drain CA");
        pki.server("localhost").issue();
        reader = pki.client("reader").ou("engineering").issue();
        big = new byte[24 << 20];
        new Random(8).nextBytes(big);
        Files.write(Files.createDirectories(dir.resolve("upstream")).resolve("big.bin"), big);
        Files.writeString(dir.resolve("upstream/ping.txt"), "pong\n");
    }

    @Test
    void aDownloadLongerThanTheGracePeriodSurvivesReloads() throws Exception {
        try (NginxServer nginx = NginxServer.start(dir.resolve("upstream"));
                GatewayHarness gateway = GatewayHarness.start(dir, CONFIG.formatted(0, 16384, nginx.baseUrl(), "\"/**\""))) {
            try (SSLSocket socket = (SSLSocket) TlsClients.context(reader, pki.caFile()).getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress("localhost", gateway.port()), 5000);
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = socket.getInputStream();
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                String head = head(in);
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                long received = 0;
                byte[] buffer = new byte[128 << 10];
                boolean reloaded = false;
                long unpaced = 0;
                int n;
                // read slowly (about 4 s for 24 MiB), so the gateway still reads from the upstream long after the
                // reloads below and after their 1 s grace period
                while ((n = in.read(buffer)) >= 0) {
                    sha.update(buffer, 0, n);
                    received += n;
                    if (!reloaded && received > (1 << 20)) {
                        assertEquals(List.of(), gateway.reload());
                        assertEquals(List.of(), gateway.reload());
                        reloaded = true;
                    }
                    unpaced += n;
                    if (unpaced >= (1 << 20)) {
                        unpaced = 0;
                        Thread.sleep(150);
                    }
                }
                assertTrue(reloaded);
                assertEquals(big.length, received, "the whole body arrived");
                assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big)),
                        HexFormat.of().formatHex(sha.digest()));
            }
            // the new state's client works
            try (KeepAliveClient client = KeepAliveClient.connect(TlsClients.context(reader, pki.caFile()), gateway.port())) {
                assertEquals(200, client.get("/ping.txt").status());
            }
        }
    }

    @Test
    void settingsOnlyARestartAppliesAreReportedAndTheRestIsApplied() throws Exception {
        try (NginxServer nginx = NginxServer.start(dir.resolve("upstream"));
                GatewayHarness gateway = GatewayHarness.start(dir, CONFIG.formatted(0, 16384, nginx.baseUrl(), "\"/**\""));
                KeepAliveClient client = KeepAliveClient.connect(TlsClients.context(reader, pki.caFile()), gateway.port())) {
            assertEquals(200, client.get("/ping.txt").status());
            Files.writeString(dir.resolve("chartgate.yaml"), CONFIG.formatted(gateway.port() + 1, 32768, nginx.baseUrl(),
                    "\"/big.bin\""));
            ReloadResult result = gateway.reloadResult();
            assertEquals(List.of(), result.errors());
            assertEquals(List.of("server.port", "server.limits.maxHeaderBytes"), result.restartRequired());
            assertEquals(403, client.get("/ping.txt").status(), "the policy change applied at once");
            assertEquals(List.of("server.port", "server.limits.maxHeaderBytes"), gateway.reloadResult().restartRequired(),
                    "still: the listener runs as it started until a restart");
            Map<String, Object> line = gateway.awaitLog(e -> "config_reload".equals(e.get("event")));
            assertEquals("success", line.get("result"));
            assertEquals(List.of("server.port", "server.limits.maxHeaderBytes"), line.get("restartRequired"));
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
