package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GzipBomb;
import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.LargeIndex;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import io.chartgate.testing.Together;
import java.io.IOException;
import java.net.InetSocketAddress;
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
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar ({@code target/chartgate.jar}) as its own JVM with the heap the Helm chart gives it (a 512 MiB
 * container limit at {@code -XX:MaxRAMPercentage=75}: 384 MiB), under a burst of keep-alive clients that all want
 * the 7.5 MB index at once and again, under a gzip bomb, and under clients that ask for many views of it and read
 * none. Everyone must get the whole rewritten index from one upstream fetch (plus a conditional one per
 * revalidation interval), and the process must live through all of it.
 * {@code -XX:+ExitOnOutOfMemoryError} makes an exhausted heap end the process, where the test sees it, instead of
 * leaving a half-working one.
 */
class IndexBurstIT {

    /** The chart's heap; {@code -Dchartgate.burst.heap=256m} runs the same burst with less. */
    private static final String HEAP = System.getProperty("chartgate.burst.heap", "384m");
    private static final int CLIENTS = 32;
    private static final int ROUNDS = 10;
    private static final Pattern LISTENING = Pattern.compile(
            "chartgate: listening on https://[^:]+:(\\d+), admin on (http://\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static NginxServer nginx;
    private static Path config;
    private static JarGateway gateway;
    private static int port;
    private static SSLContext readerTls;
    private static HttpClient direct;

    /** {@code java -jar target/chartgate.jar run} as its own process, its output (access log included) in a file. */
    private static final class JarGateway implements AutoCloseable {
        final Process process;
        final Path output;
        final int port;
        final String admin;

        private JarGateway(Process process, Path output, int port, String admin) {
            this.process = process;
            this.output = output;
            this.port = port;
            this.admin = admin;
        }

        static JarGateway start(Path config, String name) throws Exception {
            Path jar = Path.of(System.getProperty("chartgate.jar", "target/chartgate.jar")).toAbsolutePath();
            assertTrue(Files.isRegularFile(jar), jar + " is missing: failsafe runs after the package phase builds it");
            Path tmp = Files.createDirectories(dir.resolve("tmp-" + name));
            Path output = dir.resolve(name + ".log");
            // to a file, not a pipe: a busy gateway must never block on a full pipe
            Process process = new ProcessBuilder("java", "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError",
                    "-Djava.io.tmpdir=" + tmp, "-jar", jar.toString(), "run", "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (true) {
                    Matcher listening = LISTENING.matcher(Files.readString(output));
                    if (listening.find()) {
                        return new JarGateway(process, output, Integer.parseInt(listening.group(1)), listening.group(2));
                    }
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new AssertionError("the gateway did not start:\n" + Files.readString(output));
                    }
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                }
            } catch (Exception | AssertionError e) {
                process.destroyForcibly();
                throw e;
            }
        }

        /** The end of the gateway's output, for a failure message. */
        String tail() {
            try {
                String all = Files.readString(output);
                return all.substring(Math.max(0, all.length() - 4000));
            } catch (IOException e) {
                return "(unreadable: " + e.getMessage() + ")";
            }
        }

        /** The process is alive, its admin port says so, it still serves the index, and it never ran out of memory. */
        void assertAlive() throws Exception {
            assertTrue(process.isAlive(), () -> "the gateway process died:\n" + tail());
            HttpResponse<String> health = direct.send(HttpRequest.newBuilder(URI.create(admin + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            try (KeepAliveClient client = KeepAliveClient.connect(readerTls, port)) {
                KeepAliveClient.Response index = client.exchange("GET", "/big/index.yaml", null, false);
                assertEquals(200, index.status(), this::tail);
                assertEquals(KeepAliveClient.sha256(LargeIndex.yaml("https://localhost:" + port + "/big", 100, 100)),
                        index.sha256());
            }
            assertFalse(Files.readString(output).contains("OutOfMemoryError"), this::tail);
        }

        /** SIGTERM, as Kubernetes stops it; SIGKILL if it does not end. */
        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.create(dir, "Burst CA");
        pki.server("localhost").issue();
        readerTls = TlsClients.context(pki.client("reader").ou("engineering").issue(), pki.caFile());
        Path www = Files.createDirectories(dir.resolve("www"));
        nginx = NginxServer.start(www);
        Files.writeString(www.resolve("ping.txt"), "pong\n");
        Files.createDirectories(www.resolve("big"));
        Files.write(www.resolve("big/index.yaml"), LargeIndex.yaml(nginx.baseUrl() + "/big", 100, 100));
        Files.createDirectories(www.resolve("gz/bomb"));
        Files.write(www.resolve("gz/bomb/index.yaml.gz"), GzipBomb.of(
                "apiVersion: v1\nentries:\n  bomb:\n  - name: bomb\n    description: \"".getBytes(StandardCharsets.UTF_8), 2048));
        // the chart's configuration has no limits of its own: the defaults (32 MiB, 96 MiB, 1 s) are what is tested
        config = Files.writeString(dir.resolve("chartgate.yaml"), """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { host: 127.0.0.1, port: 0 }
                routes:
                  - { name: big, prefix: /big, upstream: { type: http, url: "%1$s/big/" } }
                  - { name: bomb, prefix: /bomb, upstream: { type: http, url: "%1$s/gz/bomb/" } }
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"] }
                """.formatted(nginx.baseUrl()));
        direct = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        gateway = JarGateway.start(config, "gateway");
        port = gateway.port;
    }

    @AfterAll
    static void stop() {
        Resources.closeAll(gateway, nginx);
    }

    private static String expectedBig() {
        return KeepAliveClient.sha256(LargeIndex.yaml("https://localhost:" + port + "/big", 100, 100));
    }

    @Test
    void thirtyTwoKeepAliveClientsAskingAgainAndAgainAllGetTheWholeRewrittenIndexFromOneUpstreamFetch() throws Exception {
        String expected = expectedBig();
        long length = LargeIndex.yaml("https://localhost:" + port + "/big", 100, 100).length;
        List<KeepAliveClient> clients = new ArrayList<>();
        int logged = nginx.settledReceived().size();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(KeepAliveClient.connect(readerTls, port));
            }
            List<Callable<List<String>>> runs = new ArrayList<>();
            for (KeepAliveClient client : clients) {
                runs.add(() -> {
                    // each answer as "status length sha256": all of them must read the same
                    List<String> seen = new ArrayList<>();
                    for (int round = 0; round < ROUNDS; round++) {
                        KeepAliveClient.Response answer = client.exchange("GET", "/big/index.yaml", null, false);
                        seen.add(answer.status() + " " + answer.length() + " " + answer.sha256());
                    }
                    return seen;
                });
            }
            List<List<String>> answers = Together.run(runs);
            for (List<String> perClient : answers) {
                assertEquals(ROUNDS, perClient.size());
                for (String answer : perClient) {
                    assertEquals("200 " + length + " " + expected, answer);
                }
            }
        } finally {
            for (KeepAliveClient client : clients) {
                client.close();
            }
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        List<NginxServer.ReceivedRequest> all = nginx.settledReceived();
        List<NginxServer.ReceivedRequest> fetched = all.subList(logged, all.size()).stream()
                .filter(r -> r.uri().equals("/big/index.yaml") && r.header("x-request-id") != null).toList();
        // one full fetch (none when an earlier test left the index cached), every other one a conditional 304
        assertTrue(fetched.stream().filter(r -> r.status() == 200).count() <= 1, () -> "more than one full fetch: " + fetched);
        for (NginxServer.ReceivedRequest fetch : fetched) {
            assertTrue(fetch.status() == 200 || fetch.status() == 304 && fetch.header("if-none-match") != null,
                    () -> "neither the one full fetch nor a revalidation: " + fetch);
        }
        // at most one revalidation per second (indexRevalidateMillis' default) of the burst, plus the first fetch
        long allowed = 1 + elapsedMillis / 1000 + 1;
        assertTrue(fetched.size() <= allowed, () -> fetched.size() + " fetches in " + elapsedMillis + " ms: " + fetched);
        gateway.assertAlive();
    }

    @Test
    void aGzipBombIsRefusedWith502AndTheBoundedHeapProcessLivesOn() throws Exception {
        List<KeepAliveClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                clients.add(KeepAliveClient.connect(readerTls, port));
            }
            assertBombRefused(clients.get(0).get("/bomb/index.yaml"));
            List<Callable<KeepAliveClient.Response>> burst = new ArrayList<>();
            for (KeepAliveClient client : clients) {
                burst.add(() -> client.get("/bomb/index.yaml"));
            }
            for (KeepAliveClient.Response answer : Together.run(burst)) {
                assertBombRefused(answer);
            }
        } finally {
            for (KeepAliveClient client : clients) {
                client.close();
            }
        }
        gateway.assertAlive();
    }

    @Test
    void slowReadersOfManyDistinctViewsCannotExhaustTheHeap() throws Exception {
        // A Host that names the certificate keeps its port, and each port is a view of its own (7.5 MB rendered).
        // Clients that ask and then read nothing hold their view in the gateway while it waits to send it; the
        // step's budget (96 MiB) must cover that too, or 64 of them ask for 480 MB of a 384 MiB heap.
        try (JarGateway own = JarGateway.start(config, "slow-readers")) {
            List<SSLSocket> readers = new ArrayList<>();
            try {
                for (int i = 0; i < 64; i++) {
                    SSLSocket socket = (SSLSocket) readerTls.getSocketFactory().createSocket();
                    readers.add(socket);
                    // a small window, set before connecting: the kernel takes little of the body off the gateway's hands
                    socket.setReceiveBufferSize(16 * 1024);
                    socket.connect(new InetSocketAddress("localhost", own.port), 5000);
                    socket.setSoTimeout(60_000);
                    socket.startHandshake();
                    socket.getOutputStream().write(("GET /big/index.yaml HTTP/1.1\r\nHost: localhost:" + (20_000 + i)
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    // the status line arrives once the view is rendered (or refused); the body is then left unread
                    String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                    assertTrue(status.equals("HTTP/1.1 200") || status.equals("HTTP/1.1 503"),
                            () -> "request " + readers.size() + " got \"" + status + "\"; the gateway's output ends:\n" + own.tail());
                }
                assertTrue(own.process.isAlive(), own::tail);
            } finally {
                for (SSLSocket socket : readers) {
                    socket.close();
                }
            }
            // what the readers held is given back once they are gone (asynchronously: a 503 meanwhile is fair)
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            try (KeepAliveClient client = KeepAliveClient.connect(readerTls, own.port)) {
                int status;
                while ((status = client.exchange("GET", "/big/index.yaml", null, false).status()) == 503
                        && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                }
                assertEquals(200, status, own::tail);
            }
            own.assertAlive();
        }
    }

    private static void assertBombRefused(KeepAliveClient.Response answer) throws Exception {
        assertEquals(502, answer.status(), answer::toString);
        Map<?, ?> error = JSON.readValue(answer.body(), Map.class);
        assertEquals("upstream_unavailable", error.get("error"));
        assertEquals("the upstream's index file is larger than " + (32L << 20)
                + " bytes decompressed (server.limits.maxIndexBytes)", error.get("message"));
    }
}
