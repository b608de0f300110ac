package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream failures: a stopped nginx (502), and, with in-process fakes because no real server stalls or dies
 * mid-body on demand, an upstream that never answers (504) and one that dies mid-response. A client that
 * disconnects mid-upload is tested against the real nginx.
 */
class UpstreamFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TestPki.Issued writer;
    private static TestPki pki;
    private static NginxServer nginx;
    private static FakeUpstream stalling;
    private static FakeUpstream dying;
    private static int closedPort;
    private static GatewayHarness gateway;
    private static HttpClient client;

    @BeforeAll
    static void start() throws IOException {
        pki = TestPki.create(dir, "Faults CA");
        pki.server("localhost").issue();
        writer = pki.client("writer").ou("release").issue();
        nginx = NginxServer.start(Files.createDirectories(dir.resolve("repo")));
        stalling = FakeUpstream.start(socket -> { /* reads the request and never answers */ });
        dying = FakeUpstream.start(socket -> {
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: application/gzip\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1000]);
            out.flush();
            socket.close();
        });
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "%s" } }
                  - { name: stalling, prefix: /stalling, upstream: { type: http, url: "http://127.0.0.1:%d", responseTimeoutMs: 500 } }
                  - { name: dying, prefix: /dying, upstream: { type: http, url: "http://127.0.0.1:%d" } }
                  - { name: closed, prefix: /closed, upstream: { type: http, url: "http://127.0.0.1:%d", connectTimeoutMs: 500 } }
                policy:
                  rules:
                    - { name: release, match: { ou: release }, read: ["/**"], write: ["/**"] }
                """.formatted(nginx.baseUrl(), stalling.port(), dying.port(), closedPort));
        client = TlsClients.http(TlsClients.context(writer, pki.caFile()));
    }

    @AfterAll
    static void stop() throws IOException {
        gateway.close();
        nginx.close();
        stalling.close();
        dying.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anUpstreamThatRefusesConnectionsGives502Json() throws Exception {
        HttpResponse<String> response = get("/closed/index.yaml");
        assertEquals(502, response.statusCode());
        Map<?, ?> body = JSON.readValue(response.body(), Map.class);
        assertEquals("upstream_unavailable", body.get("error"));
        assertEquals("the upstream cannot be reached", body.get("message"), "the upstream's address is logged, not sent");
        assertTrue(!response.body().contains("127.0.0.1") && !response.headers().toString().contains("127.0.0.1"),
                response::body);
    }

    @Test
    void anUpstreamThatNeverAnswersGives504Json() throws Exception {
        HttpResponse<String> response = get("/stalling/index.yaml");
        assertEquals(504, response.statusCode());
        Map<?, ?> body = JSON.readValue(response.body(), Map.class);
        assertEquals("upstream_timeout", body.get("error"));
        assertEquals("the upstream did not answer within 500 ms", body.get("message"));
    }

    /**
     * The body was read whole (by the relay, at Netty's level) before the upstream failed to answer: the connection
     * is kept, as for any error to a request whose body was read, and serves the next request.
     */
    @Test
    void anUploadSentWholeThatTheUpstreamNeverAnswersGets504AndKeepsItsConnection() throws Exception {
        try (KeepAliveClient keepAlive = KeepAliveClient.connect(TlsClients.context(writer, pki.caFile()), gateway.port())) {
            KeepAliveClient.Response timedOut = keepAlive.exchange("PUT", "/stalling/demo-1.0.0.tgz", new byte[4096], true);
            assertEquals(504, timedOut.status(), timedOut::text);
            assertNotEquals("close", timedOut.header("connection"), "the body was read: the connection is kept");
            // the next request on the same connection (to a route whose upstream refuses: nginx's log stays as it was)
            assertEquals(502, keepAlive.get("/closed/index.yaml").status());
        }
    }

    @Test
    void anUpstreamThatDiesMidResponseClosesTheClientConnection() {
        IOException e = assertThrows(IOException.class, () -> client.send(
                HttpRequest.newBuilder(URI.create(gateway.url("/dying/chart.tgz"))).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofByteArray()));
        assertTrue(e.getMessage() != null, "the truncated body must not be presented as complete");
    }

    @Test
    void aClientThatDisconnectsMidUploadLeavesNoChartOnTheUpstream() throws Exception {
        try (SSLSocket socket = (SSLSocket) TlsClients.context(writer, pki.caFile()).getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("localhost", gateway.port()), 5000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /charts/partial-1.0.0.tgz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[200_000]);
            out.flush();
        }
        // once nginx has logged the aborted PUT, it has given up on it
        NginxServer.ReceivedRequest put = HttpUpstreamIT.proxied(nginx, 1).get(0);
        assertEquals("PUT", put.method());
        assertFalse(Files.exists(nginx.root().resolve("charts/partial-1.0.0.tgz")), "a partial chart was stored");
    }

    @Test
    void stoppingNginxTurnsReadsInto502() throws Exception {
        NginxServer second = NginxServer.start(Files.createDirectories(dir.resolve("second")));
        TestPki.Issued reader = writer;
        try (GatewayHarness g = GatewayHarness.start(Files.createDirectories(dir.resolve("g2")), """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: ../localhost.crt, keyFile: ../localhost.key, clientCaFile: ../ca.crt }
                admin: { port: 0 }
                routes: [{ name: museum, prefix: /, upstream: { type: http, url: "%s" } }]
                policy: { rules: [{ name: r, match: { ou: release }, read: ["/**"] }] }
                """.formatted(second.baseUrl()))) {
            HttpClient c = TlsClients.http(TlsClients.context(reader, pki.caFile()));
            HttpRequest request = HttpRequest.newBuilder(URI.create(g.url("/missing"))).build();
            assertEquals(404, c.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            second.stop();
            HttpResponse<String> response = c.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(502, response.statusCode());
            assertEquals("upstream_unavailable", JSON.readValue(response.body(), Map.class).get("error"));
        } finally {
            second.close();
        }
    }

    /** A TCP server that reads a request head and then does what the test says: the faults nginx won't produce. */
    private static final class FakeUpstream implements AutoCloseable {
        interface Behaviour {
            void answer(Socket socket) throws IOException;
        }

        private final ServerSocket server;
        private final List<Socket> open = new CopyOnWriteArrayList<>();

        private FakeUpstream(ServerSocket server) {
            this.server = server;
        }

        static FakeUpstream start(Behaviour behaviour) throws IOException {
            FakeUpstream fake = new FakeUpstream(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
            Thread accept = new Thread(() -> {
                while (!fake.server.isClosed()) {
                    try {
                        Socket socket = fake.server.accept();
                        fake.open.add(socket);
                        CompletableFuture.runAsync(() -> {
                            try {
                                readHead(socket.getInputStream());
                                behaviour.answer(socket);
                            } catch (IOException e) {
                                // the gateway hung up: nothing to do
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "fake-upstream");
            accept.setDaemon(true);
            accept.start();
            return fake;
        }

        private static void readHead(InputStream in) throws IOException {
            List<Integer> last = new ArrayList<>();
            int b;
            while ((b = in.read()) >= 0) {
                last.add(b);
                if (last.size() > 4) {
                    last.remove(0);
                }
                if (last.equals(List.of(13, 10, 13, 10))) {
                    return;
                }
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
