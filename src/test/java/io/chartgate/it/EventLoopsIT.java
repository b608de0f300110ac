package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.eventLoops}: one server per event loop on one port, connections spread over them, reloads for all. */
class EventLoopsIT {

    @TempDir
    Path dir;

    private static final String CONFIG = """
            server:
              host: 127.0.0.1
              port: 0
              eventLoops: %d
              tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
            admin: { port: 0 }
            routes: [{ name: files, prefix: /, upstream: { type: file, dir: charts } }]
            policy: { rules: [{ name: r, match: { ou: engineering }, read: [%s] }] }
            """;

    @Test
    void connectionsAreSpreadOverTheLoopsAndAReloadReachesEveryOne() throws Exception {
        TestPki pki = TestPki.create(dir, "Loops CA");
        pki.server("localhost").issue();
        SSLContext tls = TlsClients.context(pki.client("reader").ou("engineering").issue(), pki.caFile());
        Files.writeString(Files.createDirectories(dir.resolve("charts")).resolve("ping.txt"), "pong\n");
        try (GatewayHarness gateway = GatewayHarness.start(dir, CONFIG.formatted(3, "\"/**\""))) {
            for (int i = 0; i < 12; i++) {
                try (KeepAliveClient client = KeepAliveClient.connect(tls, gateway.port())) {
                    assertEquals(200, client.get("/ping.txt").status());
                }
            }
            List<Long> spread = gateway.connectionsPerLoop();
            assertEquals(3, spread.size(), "one server per loop");
            assertTrue(spread.stream().allMatch(n -> n >= 2), "every loop took connections: " + spread);
            assertEquals(12, spread.stream().mapToLong(Long::longValue).sum());

            Files.writeString(dir.resolve("chartgate.yaml"), CONFIG.formatted(3, "\"/charts/**\""));
            assertEquals(List.of(), gateway.reload());
            for (int i = 0; i < 6; i++) {
                try (KeepAliveClient client = KeepAliveClient.connect(tls, gateway.port())) {
                    assertEquals(403, client.get("/ping.txt").status(), "the new policy on every loop");
                }
            }
        }
    }
}
