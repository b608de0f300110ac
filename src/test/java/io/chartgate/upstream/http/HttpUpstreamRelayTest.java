package io.chartgate.upstream.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.testing.NettyLeaks;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.netty.util.ResourceLeakDetector;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Netty-level relay of {@link HttpUpstream} between a Vert.x server on two event loops (standing in for the
 * gateway's) and a plain HTTP upstream: per-loop pooling, framing, and what a client that goes away does to the
 * upstream exchange. Netty's leak detector runs at its paranoid level (the build's) and must find nothing.
 */
class HttpUpstreamRelayTest {

    private static final byte[] LARGE = new byte[3 << 20];
    private static Vertx vertx;
    private static HttpUpstream upstream;
    private static int gatewayPort;
    /** Upstream connections by their client port: what happened on each, in order. */
    private static final Map<Integer, List<String>> upstreamEvents = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        new Random(3).nextBytes(LARGE);
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
        HttpServer origin = vertx.createHttpServer().requestHandler(HttpUpstreamRelayTest::origin);
        int originPort = origin.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
                .actualPort();
        upstream = new HttpUpstream(vertx, new HttpUpstreamConfig(URI.create("http://127.0.0.1:" + originPort + "/"), null,
                null, 2000, 1000, null, null));
        try (ServerSocket free = new ServerSocket(0)) {
            gatewayPort = free.getLocalPort();
        }
        // two instances on one port: Vert.x hands their connections out in turn, one per event loop
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                return vertx.createHttpServer().requestHandler(HttpUpstreamRelayTest::gateway).listen(gatewayPort, "127.0.0.1");
            }
        }, new DeploymentOptions().setInstances(2)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        upstream.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The gateway's part: forward, and answer an {@link UpstreamException} the way the proxy does. */
    private static void gateway(HttpServerRequest request) {
        request.pause();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        headers.set("X-Loop", Thread.currentThread().getName());
        if (request.getHeader("Content-Type") != null) {
            headers.set("Content-Type", request.getHeader("Content-Type"));
        }
        upstream.forward(new UpstreamRequest(request, request.path(), request.uri(), headers, 1 << 20, n -> { }))
                .onFailure(cause -> {
                    int status = cause instanceof UpstreamException e && e.kind() == UpstreamException.Kind.TIMEOUT ? 504
                            : cause instanceof UpstreamException e && e.kind() == UpstreamException.Kind.TOO_LARGE ? 413 : 502;
                    if (!request.response().headWritten()) {
                        request.response().setStatusCode(status).putHeader("Connection", "close").putHeader("X-Failure",
                                cause instanceof UpstreamException e && e.failure() != null ? e.failure().label() : "other").end();
                    }
                });
    }

    /** The upstream: its answers name the connection they came on and the loop the gateway served them from. */
    private static void origin(HttpServerRequest request) {
        int connection = request.remoteAddress().port();
        List<String> events = upstreamEvents.computeIfAbsent(connection, k -> {
            List<String> list = new CopyOnWriteArrayList<>();
            request.connection().closeHandler(v -> list.add("closed"));
            return list;
        });
        events.add(request.method() + " " + request.uri());
        request.response().putHeader("X-Connection", Integer.toString(connection))
                .putHeader("X-Loop", String.valueOf(request.getHeader("X-Loop")))
                .putHeader("Keep-Alive", "timeout=5")
                .putHeader("X-Request-Id", "from-upstream");
        switch (request.path()) {
            case "/small" -> request.response().end("pong\n");
            case "/large" -> {
                if (request.method() == io.vertx.core.http.HttpMethod.HEAD) {
                    request.response().putHeader("Content-Length", Integer.toString(LARGE.length)).end();
                } else {
                    request.response().end(Buffer.buffer(LARGE));
                }
            }
            case "/chunked" -> {
                request.response().setChunked(true);
                for (int i = 0; i < 100; i++) {
                    request.response().write("line " + i + "\n");
                }
                request.response().end();
            }
            case "/empty" -> request.response().setStatusCode(204).end();
            case "/endless" -> {
                // a download that never ends: only the client's going away ends it
                request.response().setChunked(true);
                long timer = vertx.setPeriodic(5, id -> {
                    if (!request.response().writeQueueFull()) {
                        request.response().write(Buffer.buffer(new byte[16 * 1024]));
                    }
                });
                request.connection().closeHandler(v -> {
                    vertx.cancelTimer(timer);
                    events.add("closed");
                });
            }
            case "/silent" -> { } // never answers
            case "/upload" -> {
                request.handler(chunk -> { });
                request.exceptionHandler(e -> events.add("body broken"));
                request.endHandler(v -> {
                    events.add("body complete");
                    request.response().setStatusCode(201).end();
                });
            }
            default -> request.response().setStatusCode(404).end();
        }
    }

    @Test
    void aSecondRequestOnTheSameLoopReusesTheUpstreamConnection() throws Exception {
        try (RawClient client = new RawClient()) {
            Response first = client.get("/small");
            Response second = client.get("/small");
            assertEquals(200, first.status);
            assertEquals("pong\n", new String(second.body, StandardCharsets.UTF_8));
            assertEquals(first.header("x-loop"), second.header("x-loop"));
            assertEquals(first.header("x-connection"), second.header("x-connection"));
        }
    }

    @Test
    void requestsOnDifferentLoopsNeverShareAnUpstreamConnection() throws Exception {
        Map<String, String> connectionByLoop = new HashMap<>();
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6 && connectionByLoop.size() < 2; i++) {
                RawClient client = new RawClient();
                clients.add(client);
                // both requests of one client connection: its loop's kept upstream connection
                for (int n = 0; n < 2; n++) {
                    Response response = client.get("/small");
                    String loop = response.header("x-loop");
                    String before = connectionByLoop.putIfAbsent(loop, response.header("x-connection"));
                    if (before != null) {
                        assertEquals(before, response.header("x-connection"), "one loop, its one idle upstream connection");
                    }
                }
            }
        } finally {
            for (RawClient client : clients) {
                client.close();
            }
        }
        assertEquals(2, connectionByLoop.size(), "client connections were spread over both loops");
        List<String> connections = new ArrayList<>(connectionByLoop.values());
        assertNotEquals(connections.get(0), connections.get(1));
    }

    @Test
    void bodiesOfEveryFramingArriveWholeAndHopByHopHeadersStayBehind() throws Exception {
        try (RawClient client = new RawClient()) {
            Response large = client.get("/large");
            assertEquals(200, large.status);
            assertEquals(Integer.toString(LARGE.length), large.header("content-length"));
            assertArrayEquals(LARGE, large.body);
            assertEquals(null, large.header("keep-alive"));
            assertEquals(null, large.header("x-request-id"));
            Response chunked = client.get("/chunked");
            assertEquals("chunked", chunked.header("transfer-encoding"));
            assertTrue(new String(chunked.body, StandardCharsets.UTF_8).endsWith("line 99\n"));
            Response head = client.request("HEAD", "/large", null);
            assertEquals(Integer.toString(LARGE.length), head.header("content-length"));
            assertEquals(0, head.body.length);
            Response empty = client.get("/empty");
            assertEquals(204, empty.status);
            assertEquals("pong\n", new String(client.get("/small").body, StandardCharsets.UTF_8));
        }
    }

    @Test
    void anUpstreamThatDoesNotAnswerInTimeIsATimeoutAndItsConnectionIsClosed() throws Exception {
        try (RawClient client = new RawClient()) {
            Response response = client.get("/silent");
            assertEquals(504, response.status);
            assertEquals("timeout", response.header("x-failure"));
            String connection = onlyConnectionThatServed("GET /silent");
            awaitEvent(connection, "closed");
        }
    }

    @Test
    void aClientThatGoesAwayMidDownloadClosesTheUpstreamConnection() throws Exception {
        try (RawClient client = new RawClient()) {
            client.send("GET /endless?abandoned HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.readHead();
        }
        awaitEvent(onlyConnectionThatServed("GET /endless?abandoned"), "closed");
    }

    @Test
    void aClientThatGoesAwayMidUploadResetsTheUpstreamExchange() throws Exception {
        try (RawClient client = new RawClient()) {
            client.send(("PUT /upload?abandoned HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            client.send(new byte[10000]);
            // the upstream has the request when the client goes
            onlyConnectionThatServed("PUT /upload?abandoned");
        }
        String connection = onlyConnectionThatServed("PUT /upload?abandoned");
        awaitEvent(connection, "closed");
        assertFalse(upstreamEvents.get(Integer.valueOf(connection)).contains("body complete"));
    }

    @Test
    void aChunkedUploadOverTheLimitIsRefusedAndNeverCompletesUpstream() throws Exception {
        try (RawClient client = new RawClient()) {
            client.send("PUT /upload?too-large HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < 20; i++) { // 1.25 MiB against a limit of 1 MiB
                    client.send(size);
                    client.send(chunk);
                    client.send("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException refusedMidway) {
                // the gateway answers 413 and closes before the client has sent it all
            }
        }
        String connection = onlyConnectionThatServed("PUT /upload?too-large");
        awaitEvent(connection, "closed");
        assertFalse(upstreamEvents.get(Integer.valueOf(connection)).contains("body complete"));
    }

    @Test
    void anUploadSentWholeReachesTheUpstreamAndItsConnectionIsKept() throws Exception {
        try (RawClient client = new RawClient()) {
            Response created = client.request("PUT", "/upload?whole", new byte[300 * 1024]);
            assertEquals(201, created.status);
            Response after = client.get("/small");
            assertEquals(created.header("x-connection"), after.header("x-connection"));
            assertTrue(upstreamEvents.get(Integer.valueOf(created.header("x-connection"))).contains("body complete"));
        }
    }

    @Test
    void noBufferLeaksUnderParanoidDetection() throws Exception {
        try (RawClient client = new RawClient()) {
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(LARGE, client.get("/large").body);
                client.get("/chunked");
                client.request("PUT", "/upload", new byte[200 * 1024]);
            }
        }
        try (RawClient client = new RawClient()) {
            client.send("GET /endless?leak HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.readHead();
        }
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "the build runs tests with io.netty.leakDetection.level=paranoid (pom.xml)");
        assertEquals(List.of(), NettyLeaks.collect());
    }

    private static String onlyConnectionThatServed(String request) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            List<String> found = new ArrayList<>();
            upstreamEvents.forEach((port, events) -> {
                if (events.contains(request)) {
                    found.add(Integer.toString(port));
                }
            });
            if (found.size() == 1) {
                return found.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no upstream connection served " + request + ": " + upstreamEvents);
    }

    private static void awaitEvent(String connection, String event) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> events = upstreamEvents.get(Integer.valueOf(connection));
        while (!events.contains(event)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("upstream connection " + connection + " saw " + events + ", not " + event);
            }
            Thread.sleep(20);
        }
    }

    private record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }
    }

    /** HTTP/1.1 over one plain socket, so that the test knows which client connection (and loop) a request took. */
    private static final class RawClient implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        RawClient() throws IOException {
            socket = new Socket("127.0.0.1", gatewayPort);
            socket.setSoTimeout(10_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        Response get(String path) throws IOException {
            return request("GET", path, null);
        }

        Response request(String method, String path, byte[] body) throws IOException {
            String head = method + " " + path + " HTTP/1.1\r\nHost: x\r\n"
                    + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n";
            send(head.getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                send(body);
            }
            return readResponse(method);
        }

        void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        Response readHead() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed within the response head");
                }
                head.write(b);
                byte[] h = head.toByteArray();
                int n = h.length;
                if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                    break;
                }
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            return new Response(status, headers, new byte[0]);
        }

        Response readResponse(String method) throws IOException {
            Response head = readHead();
            if (method.equals("HEAD") || head.status == 204 || head.status == 304) {
                return head;
            }
            String length = head.header("content-length");
            if (length != null) {
                return new Response(head.status, head.headers, in.readNBytes(Integer.parseInt(length)));
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(line(), 16);
                if (size == 0) {
                    line();
                    return new Response(head.status, head.headers, body.toByteArray());
                }
                body.write(in.readNBytes(size));
                line();
            }
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("closed mid-body");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
