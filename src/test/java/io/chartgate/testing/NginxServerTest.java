package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.NginxServer.ReceivedRequest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nginx test upstream serves, stores, deletes and logs what it received, with a real nginx process. */
class NginxServerTest {

    private static final String INDEX = "apiVersion: v1\nentries: {}\ngenerated: \"2024-01-01T00:00:00Z\"\n";
    private static final Duration LOG_WAIT = Duration.ofSeconds(5);

    // HTTP/1.1 only: the default would offer an h2c upgrade and add Connection/Upgrade headers to every request.
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @TempDir
    Path repo;

    private NginxServer nginx;

    @BeforeEach
    void startNginx() throws IOException {
        Files.writeString(repo.resolve("index.yaml"), INDEX);
        nginx = NginxServer.start(repo);
    }

    @AfterEach
    void stopNginx() {
        nginx.close();
    }

    @Test
    void getReturnsTheFileBytes() throws Exception {
        HttpResponse<byte[]> response = send(request("/index.yaml").GET());

        assertEquals(200, response.statusCode());
        assertArrayEquals(INDEX.getBytes(StandardCharsets.UTF_8), response.body());
    }

    @Test
    void headReportsTheLengthWithoutABody() throws Exception {
        HttpResponse<byte[]> response =
                send(request("/index.yaml").method("HEAD", HttpRequest.BodyPublishers.noBody()));

        assertEquals(200, response.statusCode());
        assertEquals(String.valueOf(INDEX.getBytes(StandardCharsets.UTF_8).length),
                response.headers().firstValue("content-length").orElseThrow());
        assertEquals(0, response.body().length);
    }

    @Test
    void putStoresTheBodyOnDisk() throws Exception {
        byte[] chart = new byte[70_000];
        for (int i = 0; i < chart.length; i++) {
            chart[i] = (byte) (i * 31);
        }

        HttpResponse<byte[]> response = send(request("/charts/demo-0.1.0.tgz")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(chart)));

        assertTrue(response.statusCode() == 201 || response.statusCode() == 204, "status " + response.statusCode());
        assertArrayEquals(chart, Files.readAllBytes(repo.resolve("charts/demo-0.1.0.tgz")));
    }

    @Test
    void deleteRemovesTheFile() throws Exception {
        Path chart = repo.resolve("old-1.0.0.tgz");
        Files.write(chart, new byte[] {1, 2, 3});

        HttpResponse<byte[]> response = send(request("/old-1.0.0.tgz").DELETE());

        assertEquals(204, response.statusCode());
        assertFalse(Files.exists(chart));
    }

    @Test
    void aDirectoryListingIsRefused() throws Exception {
        Files.createDirectories(repo.resolve("charts"));
        Files.write(repo.resolve("charts/demo-0.1.0.tgz"), new byte[] {1});

        for (String path : List.of("/", "/charts/")) {
            int status = send(request(path).GET()).statusCode();
            assertTrue(status == 403 || status == 404, path + " answered " + status);
        }
    }

    @Test
    void theLogRecordsMethodUriStatusAndHeadersAsReceived() throws Exception {
        send(request("/index.yaml?probe=1").header("X-Request-Id", "req-42")
                .header("X-Forwarded-For", "203.0.113.7").GET());

        List<ReceivedRequest> received = nginx.awaitReceived(1, LOG_WAIT);

        assertEquals(1, received.size());
        ReceivedRequest request = received.get(0);
        assertEquals("GET", request.method());
        assertEquals("/index.yaml?probe=1", request.uri());
        assertEquals(200, request.status());
        assertEquals("req-42", request.headers().get("x-request-id"));
        assertEquals("203.0.113.7", request.header("X-Forwarded-For"));
        assertEquals("127.0.0.1:" + nginx.port(), request.headers().get("host"));
        assertFalse(request.headers().containsKey("authorization"), "absent headers are omitted");
    }

    @Test
    void theLogRecordsAPutWithItsContentLength() throws Exception {
        send(request("/upload.tgz").header("X-Request-Id", "put-1").PUT(HttpRequest.BodyPublishers.ofString("abc")));

        ReceivedRequest request = nginx.awaitReceived(1, LOG_WAIT).get(0);

        assertEquals("PUT", request.method());
        assertEquals("/upload.tgz", request.uri());
        assertEquals(201, request.status());
        assertEquals("3", request.headers().get("content-length"));
        assertEquals("put-1", request.headers().get("x-request-id"));
    }

    @Test
    void theLogRecordsWhichConnectionEachRequestCameOnAndItsPlaceThere() throws Exception {
        String twoOnOne = "GET /index.yaml HTTP/1.1\r\nHost: x\r\nX-Request-Id: one\r\n\r\n"
                + "GET /index.yaml HTTP/1.1\r\nHost: x\r\nX-Request-Id: two\r\nIf-None-Match: \"abc\"\r\nConnection: close\r\n\r\n";
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), nginx.port())) {
            socket.getOutputStream().write(twoOnOne.getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().readAllBytes();
        }
        send(request("/index.yaml").header("X-Request-Id", "three").GET());

        List<ReceivedRequest> received = nginx.awaitReceived(3, LOG_WAIT);

        assertEquals(List.of(1, 2, 1), received.stream().map(ReceivedRequest::connectionRequests).toList());
        assertEquals(received.get(0).connection(), received.get(1).connection());
        assertTrue(received.get(2).connection() != received.get(0).connection(), received::toString);
        assertEquals("\"abc\"", received.get(1).header("If-None-Match"));
    }

    @Test
    void settledReceivedHoldsEveryRequestAnsweredBeforeItAndNotItsMarker() throws Exception {
        for (int i = 0; i < 5; i++) {
            send(request("/index.yaml").header("X-Request-Id", "r" + i).GET());
        }

        List<ReceivedRequest> received = nginx.settledReceived();

        assertEquals(List.of("r0", "r1", "r2", "r3", "r4"), received.stream().map(r -> r.header("x-request-id")).toList());
    }

    @Test
    void clearLogForgetsEarlierRequests() throws Exception {
        send(request("/index.yaml").header("X-Request-Id", "before").GET());
        nginx.awaitReceived(1, LOG_WAIT);

        nginx.clearLog();
        send(request("/missing.tgz").header("X-Request-Id", "after").GET());

        List<ReceivedRequest> received = nginx.awaitReceived(1, LOG_WAIT);
        assertEquals(List.of("after"), received.stream().map(r -> r.headers().get("x-request-id")).toList());
        assertEquals(404, received.get(0).status());
    }

    @Test
    void awaitReceivedFailsWhenTooFewRequestsArrive() {
        AssertionError error = assertThrows(AssertionError.class,
                () -> nginx.awaitReceived(1, Duration.ofMillis(50)));

        assertTrue(error.getMessage().contains("logged 0 request(s)"), error.getMessage());
    }

    @Test
    void closeStopsNginxAndFreesThePort() throws Exception {
        Path otherRoot = Files.createDirectory(repo.resolve("other"));
        NginxServer other = NginxServer.start(otherRoot);
        int port = other.port();
        assertEquals("http://127.0.0.1:" + port, other.baseUrl());
        assertEquals(otherRoot.toAbsolutePath().normalize(), other.root());

        other.close();
        other.close();

        assertThrows(ConnectException.class, () -> {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.getPort();
            }
        });
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(nginx.baseUrl() + path)).timeout(Duration.ofSeconds(10));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
